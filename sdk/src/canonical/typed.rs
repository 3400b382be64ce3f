//! Canonical JSON written straight from a typed value's `Serialize`, without building a
//! `serde_json::Value` first: the sign path of a typed message.
//!
//! The writer gives the same bytes as [`super::to_canonical_bytes`] of the value's JSON
//! form, and refuses what cannot be signed as [`crate::signing::check_numbers`] does: a
//! fraction or an integer beyond ±(2^53−1), with the JSON Pointer of the first. Members
//! are written as they come and each object is put in RFC 8785 order when it closes (one
//! copy of its text, nothing when it already is in order).

use super::{name_order, write_string};
use crate::error::MessageError;
use crate::json::MAX_SAFE_INTEGER;
use serde::ser::{self, Serialize};
use std::borrow::Cow;
use std::fmt::{self, Display, Write};
use std::ops::Range;

/// The canonical bytes of `value`.
pub(crate) fn to_canonical_bytes<T: Serialize + ?Sized>(
    value: &T,
) -> Result<Vec<u8>, MessageError> {
    let mut writer = Writer::new(None, 256);
    value.serialize(&mut writer).map_err(Failure::into_error)?;
    Ok(writer.out.into_bytes())
}

/// The canonical text of the object `value` without its top-level member `name`, and
/// where that member goes (see [`Without::with_member`]).
pub(crate) fn without_member<T: Serialize + ?Sized>(
    value: &T,
    name: &'static str,
) -> Result<Without, MessageError> {
    let mut writer = Writer::new(Some(name), 4096);
    value.serialize(&mut writer).map_err(Failure::into_error)?;
    let slot = writer.slot.ok_or_else(|| MessageError::Invalid {
        reason: format!("a {name} member needs an object to go in"),
    })?;
    Ok(Without {
        text: writer.out,
        name,
        slot,
    })
}

/// A canonical object written without one member, and the place that member's name
/// sorts to.
pub(crate) struct Without {
    /// The canonical text without the member.
    pub(crate) text: String,
    name: &'static str,
    slot: Slot,
}

/// Where a left-out member goes in its object's canonical text.
#[derive(Debug, Clone, Copy)]
struct Slot {
    /// The byte offset: after the member it follows, or after `{` when it is the first.
    at: usize,
    /// Whether a member precedes it (a comma goes before it) …
    after_member: bool,
    /// … and whether one follows it (a comma goes after it when it is the first).
    before_member: bool,
}

impl Without {
    /// The canonical bytes of the object with the member put back, its value being the
    /// canonical text `value`.
    pub(crate) fn with_member(&self, value: &[u8]) -> Vec<u8> {
        let Slot {
            at,
            after_member,
            before_member,
        } = self.slot;
        let mut member = String::with_capacity(self.name.len() + 4);
        if after_member {
            member.push(',');
        }
        write_string(&mut member, self.name);
        member.push(':');
        let mut out = Vec::with_capacity(self.text.len() + member.len() + value.len() + 1);
        out.extend_from_slice(&self.text.as_bytes()[..at]);
        out.extend_from_slice(member.as_bytes());
        out.extend_from_slice(value);
        if !after_member && before_member {
            out.push(b',');
        }
        out.extend_from_slice(&self.text.as_bytes()[at..]);
        out
    }
}

/// Why a value has no canonical form.
#[derive(Debug)]
enum Failure {
    /// A fraction or an unsafe integer, at this path (innermost segment first).
    UnsafeNumber(Vec<String>),
    /// Anything else: a map key that is not a string, duplicate names, a custom error.
    Invalid(String),
}

impl Failure {
    /// Adds the segment of the member or item the failure sits in.
    fn within(mut self, segment: impl Display) -> Failure {
        if let Failure::UnsafeNumber(path) = &mut self {
            path.push(segment.to_string());
        }
        self
    }

    fn into_error(self) -> MessageError {
        match self {
            Failure::UnsafeNumber(mut path) => {
                path.reverse();
                MessageError::UnsafeNumber {
                    path: crate::json::pointer(&path),
                }
            }
            Failure::Invalid(reason) => MessageError::Invalid { reason },
        }
    }
}

impl Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::UnsafeNumber(_) => f.write_str("an unsafe number"),
            Failure::Invalid(reason) => f.write_str(reason),
        }
    }
}

impl std::error::Error for Failure {}

impl ser::Error for Failure {
    fn custom<T: Display>(msg: T) -> Failure {
        Failure::Invalid(msg.to_string())
    }
}

/// The output and, for [`without_member`], the top-level member to leave out.
struct Writer {
    out: String,
    /// The members of the objects open around the value being written, innermost
    /// last: each object's names and text, in the order they came.
    members: Vec<(Cow<'static, str>, Range<usize>)>,
    /// Where an object's text is copied to while its members are put in order.
    scratch: String,
    /// Objects and arrays open around the value being written: 1 within the top-level
    /// object's members, the only ones [`without_member`] leaves out.
    depth: usize,
    skip: Option<&'static str>,
    slot: Option<Slot>,
}

impl Writer {
    /// A writer whose output starts with room for `capacity` bytes.
    fn new(skip: Option<&'static str>, capacity: usize) -> Writer {
        Writer {
            out: String::with_capacity(capacity),
            members: Vec::new(),
            scratch: String::new(),
            depth: 0,
            skip,
            slot: None,
        }
    }

    fn integer(&mut self, value: i128) -> Result<(), Failure> {
        if value.unsigned_abs() > MAX_SAFE_INTEGER as u128 {
            return Err(Failure::UnsafeNumber(Vec::new()));
        }
        let _ = write!(self.out, "{value}");
        Ok(())
    }

    fn object(&mut self) -> Object<'_> {
        self.out.push('{');
        self.depth += 1;
        Object {
            start: self.out.len(),
            first: self.members.len(),
            key: None,
            variant: None,
            writer: self,
        }
    }
}

/// An object being written.
struct Object<'w> {
    writer: &'w mut Writer,
    /// Where the first member starts.
    start: usize,
    /// Where its members start in the writer's `members`.
    first: usize,
    /// A map's key, until its value comes.
    key: Option<String>,
    /// The variant, when this is a struct variant's object inside `{"variant": …}`
    /// (closed twice, and named in an error's path).
    variant: Option<&'static str>,
}

impl Object<'_> {
    fn member<T: Serialize + ?Sized>(
        &mut self,
        name: Cow<'static, str>,
        value: &T,
    ) -> Result<(), Failure> {
        if self.writer.depth == 1 && self.writer.skip == Some(name.as_ref()) {
            return Ok(());
        }
        if self.writer.members.len() > self.first {
            self.writer.out.push(',');
        }
        let start = self.writer.out.len();
        write_string(&mut self.writer.out, &name);
        self.writer.out.push(':');
        let variant = self.variant;
        value
            .serialize(&mut *self.writer)
            .map_err(|failure| within_variant(failure.within(&name), variant))?;
        let end = self.writer.out.len();
        self.writer.members.push((name, start..end));
        Ok(())
    }

    /// Puts the members in canonical order and closes the object; at the top level,
    /// notes where the left-out member goes. Members are written with a comma before
    /// every one but the first, so an object written in order is already done.
    fn close(self) -> Result<(), Failure> {
        let Object {
            writer,
            start,
            first,
            variant,
            ..
        } = self;
        let members = &mut writer.members[first..];
        let in_order = members
            .windows(2)
            .all(|pair| name_order(&pair[0].0, &pair[1].0).is_lt());
        if !in_order {
            members.sort_by(|a, b| name_order(&a.0, &b.0));
            if let Some(pair) = members.windows(2).find(|pair| pair[0].0 == pair[1].0) {
                return Err(Failure::Invalid(format!(
                    "the member {} is written twice",
                    pair[0].0
                )));
            }
        }
        let top = writer.depth == 1;
        let skip = writer.skip.filter(|_| top);
        if in_order && skip.is_none() {
            // Written in order, commas and all.
            writer.members.truncate(first);
            return finish(writer, variant.is_some());
        }
        writer.scratch.clear();
        writer.scratch.push_str(&writer.out[start..]);
        writer.out.truncate(start);
        let count = members.len();
        let mut slot = None;
        for (i, (name, range)) in members.iter().enumerate() {
            if let Some(skip) = skip {
                if slot.is_none() && name_order(skip, name).is_lt() {
                    slot = Some(Slot {
                        at: writer.out.len(),
                        after_member: i > 0,
                        before_member: true,
                    });
                }
            }
            if i > 0 {
                writer.out.push(',');
            }
            writer
                .out
                .push_str(&writer.scratch[range.start - start..range.end - start]);
        }
        if skip.is_some() {
            writer.slot = Some(slot.unwrap_or(Slot {
                at: writer.out.len(),
                after_member: count > 0,
                before_member: false,
            }));
        }
        writer.members.truncate(first);
        finish(writer, variant.is_some())
    }
}

/// Adds the segment of the enum variant a failure sits in, if any.
fn within_variant(failure: Failure, variant: Option<&'static str>) -> Failure {
    match variant {
        Some(variant) => failure.within(variant),
        None => failure,
    }
}

/// Closes the object being written, and the variant's object around it if it `wraps`.
fn finish(writer: &mut Writer, wraps: bool) -> Result<(), Failure> {
    writer.out.push('}');
    writer.depth -= 1;
    if wraps {
        writer.out.push('}');
        writer.depth -= 1;
    }
    Ok(())
}

/// An array being written.
struct Array<'w> {
    writer: &'w mut Writer,
    count: usize,
    /// The variant, when this is a tuple variant's array inside `{"variant": …}`.
    variant: Option<&'static str>,
}

impl Array<'_> {
    fn item<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Failure> {
        if self.count > 0 {
            self.writer.out.push(',');
        }
        value
            .serialize(&mut *self.writer)
            .map_err(|failure| within_variant(failure.within(self.count), self.variant))?;
        self.count += 1;
        Ok(())
    }

    fn close(self) -> Result<(), Failure> {
        self.writer.out.push(']');
        self.writer.depth -= 1;
        if self.variant.is_some() {
            self.writer.out.push('}');
            self.writer.depth -= 1;
        }
        Ok(())
    }
}

/// Opens `{"variant":` for an enum's newtype, tuple or struct variant.
fn open_variant(writer: &mut Writer, variant: &str) {
    writer.out.push('{');
    writer.depth += 1;
    write_string(&mut writer.out, variant);
    writer.out.push(':');
}

fn fraction() -> Result<(), Failure> {
    Err(Failure::UnsafeNumber(Vec::new()))
}

impl<'w> ser::Serializer for &'w mut Writer {
    type Ok = ();
    type Error = Failure;
    type SerializeSeq = Array<'w>;
    type SerializeTuple = Array<'w>;
    type SerializeTupleStruct = Array<'w>;
    type SerializeTupleVariant = Array<'w>;
    type SerializeMap = Object<'w>;
    type SerializeStruct = Object<'w>;
    type SerializeStructVariant = Object<'w>;

    fn serialize_bool(self, v: bool) -> Result<(), Failure> {
        self.out.push_str(if v { "true" } else { "false" });
        Ok(())
    }
    fn serialize_i8(self, v: i8) -> Result<(), Failure> {
        self.integer(v.into())
    }
    fn serialize_i16(self, v: i16) -> Result<(), Failure> {
        self.integer(v.into())
    }
    fn serialize_i32(self, v: i32) -> Result<(), Failure> {
        self.integer(v.into())
    }
    fn serialize_i64(self, v: i64) -> Result<(), Failure> {
        self.integer(v.into())
    }
    fn serialize_i128(self, v: i128) -> Result<(), Failure> {
        self.integer(v)
    }
    fn serialize_u8(self, v: u8) -> Result<(), Failure> {
        self.integer(v.into())
    }
    fn serialize_u16(self, v: u16) -> Result<(), Failure> {
        self.integer(v.into())
    }
    fn serialize_u32(self, v: u32) -> Result<(), Failure> {
        self.integer(v.into())
    }
    fn serialize_u64(self, v: u64) -> Result<(), Failure> {
        self.integer(v.into())
    }
    fn serialize_u128(self, v: u128) -> Result<(), Failure> {
        self.integer(i128::try_from(v).unwrap_or(i128::MAX))
    }
    fn serialize_f32(self, _: f32) -> Result<(), Failure> {
        fraction()
    }
    fn serialize_f64(self, _: f64) -> Result<(), Failure> {
        fraction()
    }
    fn serialize_char(self, v: char) -> Result<(), Failure> {
        write_string(&mut self.out, v.encode_utf8(&mut [0; 4]));
        Ok(())
    }
    fn serialize_str(self, v: &str) -> Result<(), Failure> {
        write_string(&mut self.out, v);
        Ok(())
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<(), Failure> {
        use ser::SerializeSeq;
        let mut array = self.serialize_seq(Some(v.len()))?;
        for byte in v {
            array.serialize_element(byte)?;
        }
        array.end()
    }
    fn serialize_none(self) -> Result<(), Failure> {
        self.serialize_unit()
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Failure> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), Failure> {
        self.out.push_str("null");
        Ok(())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Failure> {
        self.serialize_unit()
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<(), Failure> {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), Failure> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), Failure> {
        open_variant(self, variant);
        value
            .serialize(&mut *self)
            .map_err(|failure| failure.within(variant))?;
        self.out.push('}');
        self.depth -= 1;
        Ok(())
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Array<'w>, Failure> {
        self.out.push('[');
        self.depth += 1;
        Ok(Array {
            writer: self,
            count: 0,
            variant: None,
        })
    }
    fn serialize_tuple(self, len: usize) -> Result<Array<'w>, Failure> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(self, _: &'static str, len: usize) -> Result<Array<'w>, Failure> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Array<'w>, Failure> {
        open_variant(self, variant);
        self.out.push('[');
        self.depth += 1;
        Ok(Array {
            writer: self,
            count: 0,
            variant: Some(variant),
        })
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Object<'w>, Failure> {
        Ok(self.object())
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Object<'w>, Failure> {
        Ok(self.object())
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Object<'w>, Failure> {
        open_variant(self, variant);
        let mut object = self.object();
        object.variant = Some(variant);
        Ok(object)
    }
}

/// Implements serde's compound traits for a writer of arrays or objects: `$method` adds
/// one element or field through `$add`, and `end` closes it.
macro_rules! compound {
    ($writer:ident, $add:ident, $($trait:ident :: $method:ident ($($name:ident: $ty:ty)?)),+) => {$(
        impl ser::$trait for $writer<'_> {
            type Ok = ();
            type Error = Failure;
            fn $method<T: Serialize + ?Sized>(
                &mut self,
                $($name: $ty,)?
                value: &T,
            ) -> Result<(), Failure> {
                self.$add($(Cow::Borrowed($name),)? value)
            }
            fn end(self) -> Result<(), Failure> {
                self.close()
            }
        }
    )+};
}

compound!(
    Array,
    item,
    SerializeSeq::serialize_element(),
    SerializeTuple::serialize_element(),
    SerializeTupleStruct::serialize_field(),
    SerializeTupleVariant::serialize_field()
);
compound!(
    Object,
    member,
    SerializeStruct::serialize_field(name: &'static str),
    SerializeStructVariant::serialize_field(name: &'static str)
);

impl ser::SerializeMap for Object<'_> {
    type Ok = ();
    type Error = Failure;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Failure> {
        self.key = Some(key.serialize(KeyWriter)?);
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Failure> {
        let key = self
            .key
            .take()
            .ok_or_else(|| Failure::Invalid("a map value came without its key".into()))?;
        self.member(Cow::Owned(key), value)
    }
    fn end(self) -> Result<(), Failure> {
        self.close()
    }
}

/// A map key as `serde_json` writes one: a string, or an integer, `bool` or unit
/// variant as its text.
struct KeyWriter;

fn not_a_key() -> Failure {
    Failure::Invalid("a map key must be a string".into())
}

impl ser::Serializer for KeyWriter {
    type Ok = String;
    type Error = Failure;
    type SerializeSeq = ser::Impossible<String, Failure>;
    type SerializeTuple = ser::Impossible<String, Failure>;
    type SerializeTupleStruct = ser::Impossible<String, Failure>;
    type SerializeTupleVariant = ser::Impossible<String, Failure>;
    type SerializeMap = ser::Impossible<String, Failure>;
    type SerializeStruct = ser::Impossible<String, Failure>;
    type SerializeStructVariant = ser::Impossible<String, Failure>;

    fn serialize_bool(self, v: bool) -> Result<String, Failure> {
        Ok(v.to_string())
    }
    fn serialize_i8(self, v: i8) -> Result<String, Failure> {
        Ok(v.to_string())
    }
    fn serialize_i16(self, v: i16) -> Result<String, Failure> {
        Ok(v.to_string())
    }
    fn serialize_i32(self, v: i32) -> Result<String, Failure> {
        Ok(v.to_string())
    }
    fn serialize_i64(self, v: i64) -> Result<String, Failure> {
        Ok(v.to_string())
    }
    fn serialize_u8(self, v: u8) -> Result<String, Failure> {
        Ok(v.to_string())
    }
    fn serialize_u16(self, v: u16) -> Result<String, Failure> {
        Ok(v.to_string())
    }
    fn serialize_u32(self, v: u32) -> Result<String, Failure> {
        Ok(v.to_string())
    }
    fn serialize_u64(self, v: u64) -> Result<String, Failure> {
        Ok(v.to_string())
    }
    fn serialize_f32(self, _: f32) -> Result<String, Failure> {
        Err(not_a_key())
    }
    fn serialize_f64(self, _: f64) -> Result<String, Failure> {
        Err(not_a_key())
    }
    fn serialize_char(self, v: char) -> Result<String, Failure> {
        Ok(v.to_string())
    }
    fn serialize_str(self, v: &str) -> Result<String, Failure> {
        Ok(v.to_string())
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<String, Failure> {
        Err(not_a_key())
    }
    fn serialize_none(self) -> Result<String, Failure> {
        Err(not_a_key())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result<String, Failure> {
        Err(not_a_key())
    }
    fn serialize_unit(self) -> Result<String, Failure> {
        Err(not_a_key())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<String, Failure> {
        Err(not_a_key())
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<String, Failure> {
        Ok(variant.to_string())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<String, Failure> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<String, Failure> {
        Err(not_a_key())
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, Failure> {
        Err(not_a_key())
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, Failure> {
        Err(not_a_key())
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, Failure> {
        Err(not_a_key())
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, Failure> {
        Err(not_a_key())
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, Failure> {
        Err(not_a_key())
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct, Failure> {
        Err(not_a_key())
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, Failure> {
        Err(not_a_key())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::MessageType;
    use serde::Serialize;
    use serde_json::json;

    /// The bytes of the JSON value that `serde_json` makes of `value`, canonicalized:
    /// what the writer must give.
    fn through_a_value<T: Serialize>(value: &T) -> Vec<u8> {
        super::super::to_canonical_bytes(&serde_json::to_value(value).expect("a JSON value"))
    }

    #[test]
    fn every_sample_message_is_written_as_its_value_is() {
        for message_type in MessageType::ALL {
            let message = crate::sample::signed(*message_type, 0).expect("sample");
            assert_eq!(
                to_canonical_bytes(&message).expect("canonical"),
                through_a_value(&message),
                "{message_type}"
            );
        }
        let registry = crate::sample::registry_document(1, &[0, 1, 2], 2).expect("registry");
        assert_eq!(
            to_canonical_bytes(&registry).expect("canonical"),
            through_a_value(&registry)
        );
    }

    #[test]
    fn values_enums_and_names_beyond_the_plane_are_written_as_canonicalized() {
        #[derive(Serialize)]
        enum Shape {
            Unit,
            Newtype(u8),
            Tuple(u8, &'static str),
            Struct { z: u8, a: Vec<u8> },
        }
        #[derive(Serialize)]
        struct Everything {
            zeta: Option<u8>,
            alpha: Option<u8>,
            shapes: Vec<Shape>,
            value: serde_json::Value,
            tuple: (bool, char),
            #[serde(with = "serde_bytes_as_seq")]
            bytes: Vec<u8>,
            keys: std::collections::BTreeMap<u32, &'static str>,
        }
        mod serde_bytes_as_seq {
            pub fn serialize<S: serde::Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
                s.serialize_bytes(v)
            }
        }
        let everything = Everything {
            zeta: None,
            alpha: Some(7),
            shapes: vec![
                Shape::Unit,
                Shape::Newtype(1),
                Shape::Tuple(2, "二"),
                Shape::Struct { z: 3, a: vec![4] },
            ],
            value: json!({"\u{fb01}": 1, "\u{1f600}": [true, null, "\u{7}\"\\"], "": {}, "b": -9007199254740991_i64}),
            tuple: (false, '黄'),
            bytes: vec![0, 255],
            keys: [(10, "ten"), (9, "nine")].into_iter().collect(),
        };
        let written = to_canonical_bytes(&everything).expect("canonical");
        assert_eq!(written, through_a_value(&everything));
        assert!(String::from_utf8(written)
            .expect("UTF-8")
            .contains(r#""keys":{"10":"ten","9":"nine"}"#));
    }

    #[test]
    fn unsafe_numbers_are_refused_with_their_path() {
        let cases = [
            (
                json!({"body": {"materials": [{"size": 9007199254740992_i64}]}}),
                "/body/materials/0/size",
            ),
            (json!({"form": {"a/b~": 12.5}}), "/form/a~1b~0"),
            (json!([1, -9007199254740992_i64]), "/1"),
            (json!(1.0), ""),
        ];
        for (value, path) in cases {
            assert_eq!(
                to_canonical_bytes(&value),
                Err(MessageError::UnsafeNumber { path: path.into() }),
                "{value}"
            );
            assert_eq!(
                crate::signing::check_numbers(&value),
                Err(MessageError::UnsafeNumber { path: path.into() }),
                "the value's check agrees: {value}"
            );
        }
        #[derive(Serialize)]
        struct Wide {
            n: u128,
        }
        assert!(to_canonical_bytes(&Wide { n: u128::MAX }).is_err());
        // The path names the variant of an enum's struct or tuple variant, as the JSON
        // value's check does.
        #[derive(Serialize)]
        enum Shape {
            Struct { x: f64 },
            Tuple(u8, f64),
        }
        #[derive(Serialize)]
        struct Shapes {
            e: Vec<Shape>,
        }
        let shapes = Shapes {
            e: vec![Shape::Struct { x: 1.5 }],
        };
        let expected = MessageError::UnsafeNumber {
            path: "/e/0/Struct/x".into(),
        };
        assert_eq!(to_canonical_bytes(&shapes), Err(expected.clone()));
        let value = serde_json::to_value(&shapes).expect("value");
        assert_eq!(crate::signing::check_numbers(&value), Err(expected));
        let tuple = Shapes {
            e: vec![Shape::Tuple(1, 0.5)],
        };
        assert_eq!(
            to_canonical_bytes(&tuple),
            Err(MessageError::UnsafeNumber {
                path: "/e/0/Tuple/1".into()
            })
        );
        assert!(to_canonical_bytes(&Wide {
            n: 9_007_199_254_740_991
        })
        .is_ok());
    }

    #[test]
    fn a_member_name_written_twice_is_refused() {
        #[derive(Serialize)]
        struct Twice {
            b: u8,
            #[serde(flatten)]
            inner: serde_json::Value,
        }
        let twice = Twice {
            b: 1,
            inner: json!({"a": 2, "b": 3}),
        };
        assert!(matches!(
            to_canonical_bytes(&twice),
            Err(MessageError::Invalid { .. })
        ));
        assert!(to_canonical_bytes(&json!({"a": 1})).is_ok());
    }

    /// Leaving a member out and putting it back gives the object's canonical bytes,
    /// wherever the member sorts and whatever else the object holds.
    #[test]
    fn a_member_left_out_goes_back_in_its_place() {
        for value in [
            json!({"b": 1, "signatures": [2], "z": {"signatures": 3}}),
            json!({"signatures": [2], "z": 1}),
            json!({"a": 1, "signatures": [2]}),
            json!({"signatures": [2]}),
            json!({"a": 1, "b": {"c": 2}}),
            json!({}),
        ] {
            let without = without_member(&value, "signatures").expect("an object");
            assert_eq!(
                without.text.as_bytes(),
                super::super::to_canonical_bytes_without(&value, Some("signatures")),
                "{value}"
            );
            let mut with = value.clone();
            with["signatures"] = json!(["x"]);
            assert_eq!(
                without.with_member(br#"["x"]"#),
                through_a_value(&with),
                "{value}"
            );
        }
        assert!(without_member(&json!([1]), "signatures").is_err());
        // Only the top-level object's member is left out, not one of an object in a
        // top-level array.
        assert!(without_member(&json!([{"signatures": 1, "a": 2}]), "signatures").is_err());
    }
}
