//! The ephemeral secret of one sealing, handed to the suites' crates as the "random
//! number generator" they draw it from. Sealing draws its secret once, from the system
//! (or from a test vector), and the crates read exactly those bytes: so one code path
//! seals both, and a vector's box is reproduced bit for bit.

use zeroize::Zeroizing;

/// Bytes read out in order, once. A read past the end yields zeros and marks the source
/// overdrawn, which the sealing then reports as an error instead of using its output
/// (rand_core 0.9's `fill_bytes` cannot fail).
pub(super) struct Ephemeral {
    bytes: Zeroizing<Vec<u8>>,
    read: usize,
    overdrawn: bool,
}

impl Ephemeral {
    pub(super) fn new(bytes: &[u8]) -> Ephemeral {
        Ephemeral {
            bytes: Zeroizing::new(bytes.to_vec()),
            read: 0,
            overdrawn: false,
        }
    }

    /// The next `count` bytes, or `None` when fewer are left.
    pub(super) fn take(&mut self, count: usize) -> Option<&[u8]> {
        let end = self.read.checked_add(count)?;
        if end > self.bytes.len() {
            self.overdrawn = true;
            self.read = self.bytes.len();
            return None;
        }
        let taken = &self.bytes[self.read..end];
        self.read = end;
        Some(taken)
    }

    /// Whether a read asked for more than there was, or bytes were left unread: either
    /// means the suite did not draw what the protocol says it draws.
    pub(super) fn misused(&self) -> bool {
        self.overdrawn || self.read != self.bytes.len()
    }

    fn fill(&mut self, dst: &mut [u8]) -> Result<(), Overdrawn> {
        match self.take(dst.len()) {
            Some(bytes) => {
                dst.copy_from_slice(bytes);
                Ok(())
            }
            None => {
                dst.fill(0);
                Err(Overdrawn)
            }
        }
    }

    fn next_u64(&mut self) -> Result<u64, Overdrawn> {
        let mut bytes = [0u8; 8];
        self.fill(&mut bytes)?;
        Ok(u64::from_le_bytes(bytes))
    }
}

/// The ephemeral secret was read past its end.
#[derive(Debug)]
pub(super) struct Overdrawn;

impl std::fmt::Display for Overdrawn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the ephemeral secret was read past its end")
    }
}

impl std::error::Error for Overdrawn {}

// rust-hpke draws through rand_core 0.9.
impl rand_core_09::RngCore for Ephemeral {
    fn next_u32(&mut self) -> u32 {
        self.next_u64().unwrap_or(0) as u32
    }
    fn next_u64(&mut self) -> u64 {
        Ephemeral::next_u64(self).unwrap_or(0)
    }
    fn fill_bytes(&mut self, dst: &mut [u8]) {
        // An overdrawn source is reported by `misused` after the sealing.
        let _ = self.fill(dst);
    }
}

impl rand_core_09::CryptoRng for Ephemeral {}

// sm2 0.14 draws through rand_core 0.10, whose reads can fail.
impl rand_core_010::TryRng for Ephemeral {
    type Error = Overdrawn;
    fn try_next_u32(&mut self) -> Result<u32, Overdrawn> {
        self.next_u64().map(|n| n as u32)
    }
    fn try_next_u64(&mut self) -> Result<u64, Overdrawn> {
        self.next_u64()
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Overdrawn> {
        self.fill(dst)
    }
}

impl rand_core_010::TryCryptoRng for Ephemeral {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_in_order_and_reports_overdraft_and_leftovers() {
        let mut source = Ephemeral::new(&[1, 2, 3, 4]);
        assert_eq!(source.take(2), Some(&[1u8, 2][..]));
        assert!(source.misused(), "two bytes are left");
        let mut rest = [9u8; 3];
        assert!(source.fill(&mut rest).is_err());
        assert_eq!(rest, [0, 0, 0]);
        assert!(source.misused());

        let mut exact = Ephemeral::new(&[5, 6]);
        assert_eq!(exact.take(2), Some(&[5u8, 6][..]));
        assert!(!exact.misused());
    }
}
