//! Partitioned runs: the K-th of N disjoint shards of one connector, for a scheduler that runs
//! N copies of one job (Kubernetes Indexed Jobs, Airflow dynamic task mapping, `xargs -P`).
//!
//! This module holds the two rules that split the work, and nothing else decides it:
//! - [`Partition::owns_key`]: a child resource's parent belongs to shard
//!   `xxh3_64(key) mod N` (XXH3, 64 bits, seed 0), where `key` is the parent's key text: the
//!   values of the parent fields the child binds (its `resolve` fields), each as the child's
//!   request writes it (a string as is, a number as JSON writes it: `42`, `"42"` both give
//!   `42`), joined with `/` when there are several. The same key always lands in the same
//!   shard, whatever the order or the number of parents.
//! - [`Partition::page_range`]: of a page_number or offset resource with `P` pages in all,
//!   shard K reads the pages `K*P/N` up to (not including) `(K+1)*P/N` (counted from the first
//!   page, rounded down): contiguous ranges whose sizes differ by at most one page. With more
//!   shards than pages some shards read none.
//!
//! The loader (`connector-load`) decides which resource is split how, and keeps each shard's
//! state under [`Partition::state_key`].

use std::fmt;
use std::ops::Range;
use std::str::FromStr;

/// The environment variable Kubernetes sets to a pod's index in an Indexed Job, which
/// [`Partition::from_env`] reads.
pub const INDEX_ENV: &str = "JOB_COMPLETION_INDEX";

/// The K-th of N shards of a run (`0/1` is the whole, unpartitioned run).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Partition {
    index: u32,
    count: u32,
}

/// Why a partition could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PartitionError {
    /// Not `K/N` with two whole numbers.
    #[error("`{0}` is not a partition: write K/N with two whole numbers, the shard index K from 0 to N-1 (e.g. 0/4)")]
    Malformed(String),
    /// N = 0.
    #[error("a partition needs at least one shard (N = 0 in `{0}`)")]
    NoShards(String),
    /// K >= N.
    #[error("shard {index} does not exist in {count} shards: K goes from 0 to {last} (as Kubernetes' JOB_COMPLETION_INDEX)", last = count - 1)]
    IndexOutOfRange {
        /// K.
        index: u32,
        /// N.
        count: u32,
    },
    /// The index variable is not set.
    #[error("{INDEX_ENV} is not set: --partition-from-env reads the shard index from it (a Kubernetes Indexed Job sets it in each pod); outside one, use --partition K/N")]
    MissingEnv,
    /// The index variable is not a whole number.
    #[error("{INDEX_ENV} is `{0}`, not a shard index (a whole number from 0)")]
    BadEnv(String),
}

impl Partition {
    /// The whole run, unpartitioned (`0/1`).
    pub const WHOLE: Partition = Partition { index: 0, count: 1 };

    /// Shard `index` of `count`.
    pub fn new(index: u32, count: u32) -> Result<Partition, PartitionError> {
        if count == 0 {
            return Err(PartitionError::NoShards(format!("{index}/{count}")));
        }
        if index >= count {
            return Err(PartitionError::IndexOutOfRange { index, count });
        }
        Ok(Partition { index, count })
    }

    /// Shard `$JOB_COMPLETION_INDEX` of `count` (as a Kubernetes Indexed Job with
    /// `completions: count` runs it).
    pub fn from_env(count: u32) -> Result<Partition, PartitionError> {
        Partition::from_index_text(std::env::var(INDEX_ENV).ok().as_deref(), count)
    }

    /// [`Partition::from_env`] with the variable's value given (`None`: not set).
    pub fn from_index_text(index: Option<&str>, count: u32) -> Result<Partition, PartitionError> {
        let text = index.ok_or(PartitionError::MissingEnv)?;
        let index = parse_number(text).ok_or_else(|| PartitionError::BadEnv(text.to_owned()))?;
        Partition::new(index, count)
    }

    /// K.
    pub fn index(&self) -> u32 {
        self.index
    }

    /// N.
    pub fn count(&self) -> u32 {
        self.count
    }

    /// True for `0/1`: nothing is split, state and lock keys are the plain ones.
    pub fn is_whole(&self) -> bool {
        self.count == 1
    }

    /// True for shard 0, which runs what cannot be split.
    pub fn is_first(&self) -> bool {
        self.index == 0
    }

    /// The shard a parent key belongs to (see the module docs).
    pub fn shard_of(key: &str, count: u32) -> u32 {
        // `count` > 0 for every Partition; 0 would divide by zero, so it maps to shard 0.
        let n = u64::from(count.max(1));
        (xxhash_rust::xxh3::xxh3_64(key.as_bytes()) % n) as u32
    }

    /// Whether the parent with key text `key` is this shard's.
    pub fn owns_key(&self, key: &str) -> bool {
        Partition::shard_of(key, self.count) == self.index
    }

    /// This shard's pages of `pages` (indexes from 0, the first page): contiguous, sizes
    /// differing by at most one; empty when there are more shards than pages.
    pub fn page_range(&self, pages: u64) -> Range<u64> {
        let at = |k: u32| (u128::from(pages) * u128::from(k) / u128::from(self.count)) as u64;
        at(self.index)..at(self.index + 1)
    }

    /// Whether this is the last shard, which reads on past its range to wherever the
    /// pagination stops (so records added after the total was read are not lost).
    pub fn is_last(&self) -> bool {
        self.index + 1 == self.count
    }

    /// The key `name` (a resource's state, a connector's lock) is kept under in this shard:
    /// `name#K/N`, or `name` itself for the whole run.
    pub fn key(&self, name: &str) -> String {
        if self.is_whole() {
            name.to_owned()
        } else {
            format!("{name}#{self}")
        }
    }

    /// The name and partition a [`Partition::key`] was made from (`name#K/N`, or a plain
    /// name: the whole run).
    pub fn split_key(key: &str) -> (&str, Partition) {
        key.rsplit_once('#')
            .and_then(|(name, shard)| Some((name, shard.parse().ok()?)))
            .unwrap_or((key, Partition::WHOLE))
    }

    /// Whether runs of one connector with these partitions would load the same records:
    /// only different shards of the same N are disjoint.
    pub fn overlaps(&self, other: &Partition) -> bool {
        self.is_whole() || other.is_whole() || self.count != other.count || self == other
    }
}

impl Default for Partition {
    fn default() -> Self {
        Partition::WHOLE
    }
}

fn parse_number(text: &str) -> Option<u32> {
    let text = text.trim();
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

impl FromStr for Partition {
    type Err = PartitionError;

    /// `K/N`, e.g. `0/4`.
    fn from_str(text: &str) -> Result<Partition, PartitionError> {
        let malformed = || PartitionError::Malformed(text.to_owned());
        let (index, count) = text.split_once('/').ok_or_else(malformed)?;
        let index = parse_number(index).ok_or_else(malformed)?;
        let count = parse_number(count).ok_or_else(malformed)?;
        if count == 0 {
            return Err(PartitionError::NoShards(text.to_owned()));
        }
        Partition::new(index, count)
    }
}

impl fmt::Display for Partition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(count: u32) -> Vec<Partition> {
        (0..count)
            .map(|k| Partition::new(k, count).unwrap())
            .collect()
    }

    #[test]
    fn parses_k_of_n_and_refuses_what_is_not() {
        let p: Partition = "3/4".parse().unwrap();
        assert_eq!(
            (p.index(), p.count(), p.to_string()),
            (3, 4, "3/4".to_owned())
        );
        assert_eq!(
            " 0/1 ".trim().parse::<Partition>().unwrap(),
            Partition::WHOLE
        );
        for bad in [
            "", "4", "a/4", "1/b", "-1/4", "1/-4", "1.0/4", "1/4/2", "/4", "1/",
        ] {
            assert_eq!(
                bad.parse::<Partition>(),
                Err(PartitionError::Malformed(bad.to_owned())),
                "{bad}"
            );
        }
        assert_eq!(
            "4/4".parse::<Partition>(),
            Err(PartitionError::IndexOutOfRange { index: 4, count: 4 })
        );
        assert_eq!(
            "0/0".parse::<Partition>(),
            Err(PartitionError::NoShards("0/0".to_owned()))
        );
        let message = "7/4".parse::<Partition>().unwrap_err().to_string();
        assert!(message.contains("K goes from 0 to 3"), "{message}");
    }

    #[test]
    fn the_index_comes_from_the_kubernetes_variable() {
        assert_eq!(
            Partition::from_index_text(Some("2"), 4),
            Ok(Partition::new(2, 4).unwrap())
        );
        assert_eq!(
            Partition::from_index_text(None, 4),
            Err(PartitionError::MissingEnv)
        );
        assert_eq!(
            Partition::from_index_text(Some("two"), 4),
            Err(PartitionError::BadEnv("two".to_owned()))
        );
        assert_eq!(
            Partition::from_index_text(Some("4"), 4),
            Err(PartitionError::IndexOutOfRange { index: 4, count: 4 })
        );
        assert!(matches!(
            Partition::from_index_text(Some("0"), 0),
            Err(PartitionError::NoShards(_))
        ));
    }

    #[test]
    fn every_key_belongs_to_exactly_one_shard_and_keys_spread() {
        for count in [1, 2, 3, 4, 7] {
            let shards = all(count);
            let mut sizes = vec![0u32; count as usize];
            for id in 0..2000 {
                let key = id.to_string();
                let owners: Vec<u32> = shards
                    .iter()
                    .filter(|p| p.owns_key(&key))
                    .map(Partition::index)
                    .collect();
                assert_eq!(owners.len(), 1, "key {key} of {count}: {owners:?}");
                sizes[owners[0] as usize] += 1;
            }
            // A hash, not a round robin: roughly even, every shard gets some.
            let even = 2000 / count;
            assert!(
                sizes.iter().all(|s| s.abs_diff(even) < even / 4 + 5),
                "{count}: {sizes:?}"
            );
        }
    }

    const PINNED_SHARDS: [u32; 6] = [0, 0, 0, 1, 2, 1];

    #[test]
    fn the_hash_is_stable_across_versions() {
        // Pinned: shards of one N must agree across releases (a rolling upgrade, a shard
        // re-run by a newer binary). These are XXH3-64 (seed 0) of the key text, mod N.
        assert_eq!(xxhash_rust::xxh3::xxh3_64(b""), 0x2D06800538D394C2);
        let shards: Vec<u32> = ["1", "2", "3", "u1", "u2", "42/7"]
            .iter()
            .map(|k| Partition::shard_of(k, 4))
            .collect();
        assert_eq!(shards, PINNED_SHARDS);
    }

    #[test]
    fn page_ranges_cover_every_page_once() {
        for count in 1..=9u32 {
            for pages in 0..=40u64 {
                let ranges: Vec<Range<u64>> =
                    all(count).iter().map(|p| p.page_range(pages)).collect();
                // Contiguous from 0 to `pages`, in shard order.
                assert_eq!(ranges[0].start, 0);
                assert_eq!(ranges.last().unwrap().end, pages);
                for pair in ranges.windows(2) {
                    assert_eq!(pair[0].end, pair[1].start, "{count} shards, {pages} pages");
                }
                let sizes: Vec<u64> = ranges.iter().map(|r| r.end - r.start).collect();
                let (min, max) = (sizes.iter().min().unwrap(), sizes.iter().max().unwrap());
                assert!(max - min <= 1, "{count} shards, {pages} pages: {sizes:?}");
            }
        }
    }

    #[test]
    fn page_range_edges() {
        // Not divisible: 10 pages in 4 shards.
        let sizes: Vec<Range<u64>> = all(4).iter().map(|p| p.page_range(10)).collect();
        assert_eq!(sizes, [0..2, 2..5, 5..7, 7..10]);
        // More shards than pages: some read nothing, the pages are still all read.
        let ranges: Vec<Range<u64>> = all(4).iter().map(|p| p.page_range(2)).collect();
        assert_eq!(ranges, [0..0, 0..1, 1..1, 1..2]);
        // Huge totals do not overflow.
        let last = Partition::new(2, 3).unwrap().page_range(u64::MAX);
        assert_eq!(last.end, u64::MAX);
    }

    #[test]
    fn keys_carry_the_shard_and_read_back() {
        let p = Partition::new(1, 4).unwrap();
        assert_eq!(p.key("users"), "users#1/4");
        assert_eq!(Partition::WHOLE.key("users"), "users");
        assert_eq!(Partition::split_key("users#1/4"), ("users", p));
        assert_eq!(Partition::split_key("users"), ("users", Partition::WHOLE));
        assert_eq!(Partition::split_key("a#b"), ("a#b", Partition::WHOLE));
    }

    #[test]
    fn only_different_shards_of_one_count_are_disjoint() {
        let (a, b) = (Partition::new(0, 4).unwrap(), Partition::new(1, 4).unwrap());
        assert!(!a.overlaps(&b));
        assert!(a.overlaps(&a));
        assert!(a.overlaps(&Partition::WHOLE));
        assert!(a.overlaps(&Partition::new(1, 2).unwrap()));
    }
}
