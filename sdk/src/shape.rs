//! Typed reading in exactly the JSON shapes the published schemas allow.
//!
//! serde's derived `Deserialize` is lenient about shape: it reads a struct from an
//! array of its fields in order as well as from an object, and a variant without data
//! from an object `{"variant": null}` as well as from a string. The schemas, and every
//! other implementation, refuse both, so a member reading with derived types alone
//! would accept messages that the others refuse.
//!
//! [`Strict`] wraps a deserializer and closes both doors in everything read through
//! it: structs are read from objects only, and variants without data from strings only.
//! It cannot reach into what serde first copies into its own buffer: the variants of
//! internally tagged and untagged enums, the content of an adjacently tagged enum that
//! comes before its tag, and `#[serde(flatten)]` fields. So the
//! protocol's tagged enums (`Applicant` by `kind`, `ReceiptOutcome` by `status`) read
//! themselves from objects only with [`object`] and keep only strings in their
//! variants, and `Envelope` and `Body` read their body by its type through [`Strict`].
//! The enumerations without data (`mode`, `status`, …) read themselves from a string
//! only, through [`name_index`], whatever deserializer they are given.
//! The SDK reads every protocol document (messages, registries, key files, error
//! bodies) through [`Strict`].

use serde::de::value::{BorrowedStrDeserializer, MapAccessDeserializer, StrDeserializer};
use serde::de::{
    self, Deserialize, DeserializeOwned, DeserializeSeed, Deserializer, EnumAccess, MapAccess,
    SeqAccess, Unexpected, VariantAccess, Visitor,
};
use serde_json::Value;
use std::fmt;
use std::marker::PhantomData;

/// A deserializer that reads structs from JSON objects only and variants without data
/// from strings only, at every depth serde does not buffer (see the module). Made for
/// serde_json's deserializers (text and [`Value`]), which hand enums over only through
/// `deserialize_enum`.
pub struct Strict<D>(pub D);

/// Reads a `T` from a JSON value through [`Strict`].
pub fn from_value<T: DeserializeOwned>(value: &Value) -> Result<T, serde_json::Error> {
    T::deserialize(Strict(value))
}

/// Reads a `T` from a JSON value as [`from_value`] does, keeping the path to the field
/// at fault.
pub(crate) fn from_value_tracked<'de, T: Deserialize<'de>>(
    value: &'de Value,
) -> Result<T, serde_path_to_error::Error<serde_json::Error>> {
    serde_path_to_error::deserialize(Strict(value))
}

/// Reads the index in `names` of a JSON string: the one reader of the protocol's
/// enumerations without data (`mode`, `status`, `channel`, …), which the crate's
/// `string_enum!` declares and implements `Deserialize` with. A string is the
/// only shape it takes, and one instance per deserializer serves every enumeration,
/// where serde's derive makes one per enumeration (the WASM build's size).
pub fn name_index<'de, D: Deserializer<'de>>(
    deserializer: D,
    names: &'static [&'static str],
) -> Result<usize, D::Error> {
    struct Name(&'static [&'static str]);
    impl Visitor<'_> for Name {
        type Value = usize;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            write!(f, "one of {}", self.0.join(", "))
        }
        fn visit_str<E: de::Error>(self, value: &str) -> Result<usize, E> {
            self.0
                .iter()
                .position(|name| *name == value)
                .ok_or_else(|| E::unknown_variant(value, self.0))
        }
    }
    deserializer.deserialize_str(Name(names))
}

/// Declares an enumeration without data, each variant with the string it is written as
/// (`Window = "window"`), and implements `Deserialize` for it through [`name_index`];
/// give the enumeration serde's `Serialize` derive, which writes the same strings.
macro_rules! string_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $($(#[$variant_meta:meta])* $variant:ident = $text:literal),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        $vis enum $name {
            $($(#[$variant_meta])* #[serde(rename = $text)] $variant),+
        }

        impl $name {
            /// Every variant, in the order of the names.
            #[cfg(test)]
            pub(crate) const VARIANTS: &'static [$name] = &[$($name::$variant),+];

            /// The name it is written as.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<$name, D::Error> {
                const VARIANTS: &[$name] = &[$($name::$variant),+];
                let index = $crate::shape::name_index(deserializer, &[$($text),+])?;
                Ok(VARIANTS[index])
            }
        }
    };
}
pub(crate) use string_enum;

/// Reads a `T` from a JSON object only: for internally tagged enums, which serde would
/// read from an array too, with the tag as its first element. Use it in the enum's own
/// `Deserialize` (as `Applicant` does) or with `#[serde(deserialize_with)]` on a field.
pub fn object<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    deserializer: D,
) -> Result<T, D::Error> {
    struct ObjectOnly<T>(PhantomData<T>);
    impl<'de, T: Deserialize<'de>> Visitor<'de> for ObjectOnly<T> {
        type Value = T;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("an object")
        }
        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
            T::deserialize(MapAccessDeserializer::new(map))
        }
    }
    deserializer.deserialize_map(ObjectOnly(PhantomData))
}

/// Forwards `deserialize_*` methods to the wrapped deserializer, with the visitor
/// wrapped so that what it reads inside is strict too.
macro_rules! forward {
    ($($method:ident($($arg:ident: $ty:ty),*);)*) => {
        $(fn $method<V: Visitor<'de>>(self, $($arg: $ty,)* visitor: V) -> Result<V::Value, D::Error> {
            self.0.$method($($arg,)* Wrap(visitor))
        })*
    };
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for Strict<D> {
    type Error = D::Error;

    forward! {
        deserialize_any(); deserialize_bool(); deserialize_i8(); deserialize_i16();
        deserialize_i32(); deserialize_i64(); deserialize_i128(); deserialize_u8();
        deserialize_u16(); deserialize_u32(); deserialize_u64(); deserialize_u128();
        deserialize_f32(); deserialize_f64(); deserialize_char(); deserialize_str();
        deserialize_string(); deserialize_bytes(); deserialize_byte_buf();
        deserialize_option(); deserialize_unit(); deserialize_unit_struct(name: &'static str);
        deserialize_newtype_struct(name: &'static str); deserialize_seq();
        deserialize_tuple(len: usize); deserialize_tuple_struct(name: &'static str, len: usize);
        deserialize_map(); deserialize_identifier();
    }

    /// A struct from an object only: read as a map, which refuses arrays.
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_map(Wrap(visitor))
    }

    /// An enum from a string (a variant without data) or from an object with one
    /// member (a variant with data), told apart by what the document holds.
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_any(EnumForms(visitor))
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_ignored_any(visitor)
    }

    fn is_human_readable(&self) -> bool {
        self.0.is_human_readable()
    }
}

/// A visitor whose nested deserializers, sequences and maps are [`Strict`].
struct Wrap<V>(V);

/// Forwards `visit_*` methods of values with nothing inside.
macro_rules! forward_values {
    ($($method:ident($ty:ty);)*) => {
        $(fn $method<E: de::Error>(self, value: $ty) -> Result<V::Value, E> {
            self.0.$method(value)
        })*
    };
}

impl<'de, V: Visitor<'de>> Visitor<'de> for Wrap<V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        self.0.expecting(f)
    }

    forward_values! {
        visit_bool(bool); visit_i8(i8); visit_i16(i16); visit_i32(i32); visit_i64(i64);
        visit_i128(i128); visit_u8(u8); visit_u16(u16); visit_u32(u32); visit_u64(u64);
        visit_u128(u128); visit_f32(f32); visit_f64(f64); visit_char(char);
        visit_str(&str); visit_borrowed_str(&'de str); visit_string(String);
        visit_bytes(&[u8]); visit_borrowed_bytes(&'de [u8]); visit_byte_buf(Vec<u8>);
    }

    fn visit_none<E: de::Error>(self) -> Result<V::Value, E> {
        self.0.visit_none()
    }

    fn visit_unit<E: de::Error>(self) -> Result<V::Value, E> {
        self.0.visit_unit()
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<V::Value, D::Error> {
        self.0.visit_some(Strict(deserializer))
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<V::Value, D::Error> {
        self.0.visit_newtype_struct(Strict(deserializer))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<V::Value, A::Error> {
        self.0.visit_seq(StrictSeq(seq))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        self.0.visit_map(StrictMap(map))
    }
}

/// A seed that deserializes through [`Strict`].
struct Seed<S>(S);

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for Seed<S> {
    type Value = S::Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<S::Value, D::Error> {
        self.0.deserialize(Strict(deserializer))
    }
}

/// A sequence whose elements are read through [`Strict`].
struct StrictSeq<A>(A);

impl<'de, A: SeqAccess<'de>> SeqAccess<'de> for StrictSeq<A> {
    type Error = A::Error;

    fn next_element_seed<S: DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<Option<S::Value>, A::Error> {
        self.0.next_element_seed(Seed(seed))
    }

    fn size_hint(&self) -> Option<usize> {
        self.0.size_hint()
    }
}

/// A map whose keys and values are read through [`Strict`].
struct StrictMap<A>(A);

impl<'de, A: MapAccess<'de>> MapAccess<'de> for StrictMap<A> {
    type Error = A::Error;

    fn next_key_seed<S: DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<Option<S::Value>, A::Error> {
        self.0.next_key_seed(Seed(seed))
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, A::Error> {
        self.0.next_value_seed(Seed(seed))
    }

    fn size_hint(&self) -> Option<usize> {
        self.0.size_hint()
    }
}

/// Reads an enum by the form the document gives: a string names a variant without
/// data, an object with one member a variant with data.
struct EnumForms<V>(V);

impl<'de, V: Visitor<'de>> Visitor<'de> for EnumForms<V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        self.0.expecting(f)
    }

    fn visit_str<E: de::Error>(self, variant: &str) -> Result<V::Value, E> {
        self.0.visit_enum(StrDeserializer::new(variant))
    }

    fn visit_borrowed_str<E: de::Error>(self, variant: &'de str) -> Result<V::Value, E> {
        self.0.visit_enum(BorrowedStrDeserializer::new(variant))
    }

    fn visit_string<E: de::Error>(self, variant: String) -> Result<V::Value, E> {
        self.visit_str(&variant)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        self.0.visit_enum(VariantWithData(map))
    }
}

/// An enum written as an object with one member: the variant's name and its data.
struct VariantWithData<A>(A);

const ONE_MEMBER: &str = "an object with one member";

impl<'de, A: MapAccess<'de>> VariantWithData<A> {
    /// The variant's data, read by `seed`, and no member after it.
    fn data<S: DeserializeSeed<'de>>(mut self, seed: S) -> Result<S::Value, A::Error> {
        let data = self.0.next_value_seed(Seed(seed))?;
        match self.0.next_key::<de::IgnoredAny>()? {
            None => Ok(data),
            Some(_) => Err(de::Error::invalid_length(2, &ONE_MEMBER)),
        }
    }
}

impl<'de, A: MapAccess<'de>> EnumAccess<'de> for VariantWithData<A> {
    type Error = A::Error;
    type Variant = Self;

    fn variant_seed<S: DeserializeSeed<'de>>(
        mut self,
        seed: S,
    ) -> Result<(S::Value, Self), A::Error> {
        match self.0.next_key_seed(seed)? {
            Some(variant) => Ok((variant, self)),
            None => Err(de::Error::invalid_length(0, &ONE_MEMBER)),
        }
    }
}

impl<'de, A: MapAccess<'de>> VariantAccess<'de> for VariantWithData<A> {
    type Error = A::Error;

    /// A variant without data is a string, never an object.
    fn unit_variant(self) -> Result<(), A::Error> {
        Err(de::Error::invalid_type(
            Unexpected::Map,
            &"a string (this variant carries no data)",
        ))
    }

    fn newtype_variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<S::Value, A::Error> {
        self.data(seed)
    }

    fn tuple_variant<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, A::Error> {
        self.data(TupleData(len, visitor))
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, A::Error> {
        self.data(StructData(fields, visitor))
    }
}

/// The data of a tuple variant: its length and the variant's visitor.
struct TupleData<V>(usize, V);

impl<'de, V: Visitor<'de>> DeserializeSeed<'de> for TupleData<V> {
    type Value = V::Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<V::Value, D::Error> {
        deserializer.deserialize_tuple(self.0, self.1)
    }
}

/// The data of a struct variant: its fields and the variant's visitor.
struct StructData<V>(&'static [&'static str], V);

impl<'de, V: Visitor<'de>> DeserializeSeed<'de> for StructData<V> {
    type Value = V::Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<V::Value, D::Error> {
        deserializer.deserialize_struct("", self.0, self.1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use serde_json::json;

    #[derive(Debug, PartialEq, Deserialize)]
    struct Point {
        x: u32,
        y: u32,
    }

    #[derive(Debug, PartialEq, Deserialize)]
    #[serde(rename_all = "snake_case")]
    enum Shape {
        Empty,
        Dot(Point),
        Line(Point, Point),
        Box { corner: Point, side: u32 },
    }

    #[derive(Debug, PartialEq, Deserialize)]
    struct Drawing {
        shapes: Vec<Shape>,
        origin: Option<Point>,
        named: std::collections::BTreeMap<String, Point>,
    }

    /// Reads `document` both from text and from a value; the two must agree.
    fn read<T: DeserializeOwned + fmt::Debug + PartialEq>(document: Value) -> Result<T, String> {
        let text = document.to_string();
        let mut deserializer = serde_json::Deserializer::from_str(&text);
        let from_text = T::deserialize(Strict(&mut deserializer)).map_err(|e| e.to_string());
        let from_value = from_value::<T>(&document).map_err(|e| e.to_string());
        assert_eq!(from_text.is_ok(), from_value.is_ok(), "{document}");
        from_value
    }

    #[test]
    fn every_form_the_schemas_allow_is_read() {
        let drawing: Drawing = read(json!({
            "shapes": ["empty", {"dot": {"x": 1, "y": 2}},
                {"line": [{"x": 0, "y": 0}, {"x": 3, "y": 4}]},
                {"box": {"corner": {"x": 5, "y": 6}, "side": 7}}],
            "origin": {"x": 8, "y": 9},
            "named": {"a": {"x": 1, "y": 1}}
        }))
        .expect("read");
        assert_eq!(
            drawing.shapes,
            [
                Shape::Empty,
                Shape::Dot(Point { x: 1, y: 2 }),
                Shape::Line(Point { x: 0, y: 0 }, Point { x: 3, y: 4 }),
                Shape::Box {
                    corner: Point { x: 5, y: 6 },
                    side: 7
                },
            ]
        );
        assert_eq!(drawing.origin, Some(Point { x: 8, y: 9 }));
    }

    #[test]
    fn a_struct_is_read_from_an_object_only_at_every_depth() {
        // serde_json alone reads each of these from text.
        let top = json!([1, 2]);
        assert!(serde_json::from_value::<Point>(top.clone()).is_ok());
        assert!(read::<Point>(top)
            .expect_err("refused")
            .contains("expected struct Point"));
        let inside = [
            json!({"shapes": [], "origin": [1, 2], "named": {}}),
            json!({"shapes": [{"dot": [1, 2]}], "origin": null, "named": {}}),
            json!({"shapes": [{"line": [[0, 0], {"x": 3, "y": 4}]}], "origin": null, "named": {}}),
            json!({"shapes": [{"box": {"corner": [5, 6], "side": 7}}], "origin": null, "named": {}}),
            json!({"shapes": [{"box": [{"x": 5, "y": 6}, 7]}], "origin": null, "named": {}}),
            json!({"shapes": [], "origin": null, "named": {"a": [1, 1]}}),
            json!([[], null, {}]),
        ];
        for document in inside {
            let lax = serde_json::from_str::<Drawing>(&document.to_string());
            assert!(lax.is_ok(), "{document}: {lax:?}");
            let err = read::<Drawing>(document.clone()).expect_err("refused");
            assert!(err.contains("invalid type: sequence"), "{document}: {err}");
        }
    }

    #[test]
    fn a_variant_without_data_is_read_from_a_string_only() {
        let document = json!({"shapes": [{"empty": null}], "origin": null, "named": {}});
        assert!(serde_json::from_value::<Drawing>(document.clone()).is_ok());
        let err = read::<Drawing>(document).expect_err("refused");
        assert!(err.contains("this variant carries no data"), "{err}");
        let unknown = json!({"shapes": ["round"], "origin": null, "named": {}});
        assert!(read::<Drawing>(unknown)
            .expect_err("refused")
            .contains("unknown variant `round`"));
    }

    #[test]
    fn a_variant_with_data_has_exactly_one_member() {
        for shapes in [
            json!([{}]),
            json!([{"dot": {"x": 1, "y": 2}, "empty": null}]),
        ] {
            let document = json!({"shapes": shapes, "origin": null, "named": {}});
            let err = read::<Drawing>(document).expect_err("refused");
            assert!(err.contains(ONE_MEMBER), "{err}");
        }
        let number = json!({"shapes": [3], "origin": null, "named": {}});
        assert!(read::<Drawing>(number)
            .expect_err("refused")
            .contains("expected enum Shape"));
    }

    #[test]
    fn an_internally_tagged_field_is_read_from_an_object_only() {
        #[derive(Debug, PartialEq, Deserialize)]
        #[serde(tag = "kind", rename_all = "snake_case")]
        enum Tagged {
            Plain { note: String },
        }
        #[derive(Debug, PartialEq, Deserialize)]
        struct Holder {
            #[serde(deserialize_with = "object")]
            tagged: Tagged,
        }
        let plain = Tagged::Plain {
            note: "n".to_string(),
        };
        let holder: Holder = read(json!({"tagged": {"kind": "plain", "note": "n"}})).expect("read");
        assert_eq!(holder.tagged, plain);
        let array = json!({"tagged": ["plain", "n"]});
        assert!(serde_json::from_value::<Tagged>(array["tagged"].clone()).is_ok());
        assert!(read::<Holder>(array)
            .expect_err("refused")
            .contains("expected an object"));
    }

    #[test]
    fn a_tracked_error_names_the_field() {
        let document = json!({"shapes": ["empty", {"box": {"corner": [5, 6], "side": 7}}],
            "origin": null, "named": {}});
        let err = from_value_tracked::<Drawing>(&document).expect_err("refused");
        assert_eq!(err.path().to_string(), "shapes[1].box.corner");
    }
}
