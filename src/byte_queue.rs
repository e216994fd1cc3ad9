//! Moving bytes out of a `VecDeque<u8>` a slice at a time, for every floor of the crate.
//!
//! `queue.drain(..n).collect()` and `zip(queue.drain(..n))` move one byte per iteration: about
//! 5 % of a bulk transfer's time inside the guest, whose compiler does not vectorise that loop.
//! These copy the deque's two halves with `copy_from_slice` / `extend_from_slice` (a `memcpy`),
//! then drop the front, which a deque does without moving the rest.

use std::collections::VecDeque;

/// Removes the first `n` bytes of `queue` (all of them when it holds fewer) and returns them.
pub(crate) fn take_front(queue: &mut VecDeque<u8>, n: usize) -> Vec<u8> {
    let n = n.min(queue.len());
    let mut out = Vec::with_capacity(n);
    for part in <[&[u8]; 2]>::from(queue.as_slices()) {
        let k = (n - out.len()).min(part.len());
        out.extend_from_slice(part.get(..k).unwrap_or_default());
    }
    queue.drain(..n);
    out
}

/// Moves the first bytes of `queue` into `buf`, as many as fit; returns how many.
pub(crate) fn move_front_into(queue: &mut VecDeque<u8>, buf: &mut [u8]) -> usize {
    let n = buf.len().min(queue.len());
    let mut copied = 0;
    for part in <[&[u8]; 2]>::from(queue.as_slices()) {
        let k = (n - copied).min(part.len());
        if let (Some(dst), Some(src)) = (buf.get_mut(copied..copied + k), part.get(..k)) {
            dst.copy_from_slice(src);
        }
        copied += k;
    }
    queue.drain(..copied);
    copied
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A deque holding 0..len whose bytes wrap around the end of its storage (two halves).
    fn wrapped(len: u8) -> VecDeque<u8> {
        let mut queue = VecDeque::with_capacity(usize::from(len));
        let start = queue.capacity() - 8;
        queue.extend(std::iter::repeat_n(0xff, start));
        while queue.pop_front().is_some() {}
        queue.extend(0..len);
        assert_eq!(queue.as_slices().0.len(), 8, "the deque does not wrap");
        queue
    }

    #[test]
    fn take_front_takes_across_both_halves_in_order() {
        for n in [0, 1, 5, 40, 63, 64, 1000] {
            let mut queue = wrapped(64);
            let expected: Vec<u8> = (0..64u8).take(n).collect();
            assert_eq!(take_front(&mut queue, n), expected, "n = {n}");
            assert_eq!(queue, (0..64u8).skip(n).collect::<VecDeque<u8>>());
        }
    }

    #[test]
    fn move_front_into_fills_what_fits_across_both_halves() {
        for size in [0, 1, 7, 63, 64, 100] {
            let mut queue = wrapped(64);
            let mut buf = vec![0xee; size];
            let n = move_front_into(&mut queue, &mut buf);
            assert_eq!(n, size.min(64));
            assert_eq!(buf.get(..n), (0..64u8).take(n).collect::<Vec<_>>().get(..));
            assert!(buf.iter().skip(n).all(|b| *b == 0xee));
            assert_eq!(queue.len(), 64 - n);
            assert_eq!(
                queue.front().copied(),
                (n < 64).then(|| u8::try_from(n).unwrap_or(0))
            );
        }
    }
}
