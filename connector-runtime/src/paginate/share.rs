//! A shard's part of a paged resource (page_number, offset) in a partitioned run: the first
//! page is read by every shard for the total; then each shard jumps to its own range
//! ([`Partition::page_range`]) and stops at its end, the last shard reading on to wherever
//! the pagination stops. A page read only for the total is another shard's: its records are
//! dropped ([`crate::Paginator::foreign_page`]).

use std::ops::Range;

use super::{Flow, Page, Request};
use crate::Partition;

/// A paginator whose pages are numbered from the first (page_number, offset).
pub(super) trait Indexed {
    /// Its share, when the run is partitioned.
    fn share(&mut self) -> &mut Option<PageShare>;
    /// `next` as without a partition.
    fn next_unshared(&mut self, page: &Page<'_>, request: &mut Request) -> Result<Flow, String>;
    /// Pages in all from the first, when a total or a maximum says.
    fn pages(&self) -> Option<u64>;
    /// The index of the page the last `next` prepared.
    fn next_index(&self) -> u64;
    /// Prepares page index `index` as the next request.
    fn go_to(&mut self, index: u64, request: &mut Request) -> Flow;
}

/// `next` of an [`Indexed`] paginator in a partitioned run: the first page decides the range,
/// and a page past it stops.
pub(super) fn next<P: Indexed>(
    paginator: &mut P,
    page: &Page<'_>,
    request: &mut Request,
) -> Result<Flow, String> {
    let Some(share) = paginator.share().as_mut() else {
        return paginator.next_unshared(page, request);
    };
    share.reading();
    let first = !share.decided();
    let flow = paginator.next_unshared(page, request)?;
    if first {
        let pages = paginator.pages();
        let step = paginator.share().as_mut().map(|s| s.first_page(pages));
        match step {
            Some(Step::Stop) => return Ok(Flow::Stop),
            // The first page's stop (an empty page, a stop rule) holds for every shard.
            Some(Step::Jump(_)) if flow == Flow::Stop => return Ok(Flow::Stop),
            Some(Step::Jump(index)) => return Ok(paginator.go_to(index, request)),
            Some(Step::Continue) | None => {}
        }
    }
    let index = paginator.next_index();
    let past = paginator.share().as_ref().is_some_and(|s| s.past(index));
    Ok(if past { Flow::Stop } else { flow })
}

/// [`crate::Paginator::share_pages`] of an [`Indexed`] paginator: `known` says whether it
/// can know how many pages there are.
pub(super) fn offer(share: &mut Option<PageShare>, known: bool, partition: Partition) -> bool {
    *share = known.then(|| PageShare::new(partition));
    known
}

/// [`crate::Paginator::foreign_page`] of an [`Indexed`] paginator.
pub(super) fn foreign(share: &Option<PageShare>) -> bool {
    share.as_ref().is_some_and(|s| s.foreign)
}

/// What the paginator does after the first page.
#[derive(Debug, PartialEq)]
pub(super) enum Step {
    /// The first page is this shard's: go on as without a partition.
    Continue,
    /// Go to page index `0` (counted from the first page).
    Jump(u64),
    /// This shard has no page.
    Stop,
}

#[derive(Debug)]
pub(super) struct PageShare {
    partition: Partition,
    range: Option<Range<u64>>,
    foreign: bool,
}

impl PageShare {
    pub(super) fn new(partition: Partition) -> PageShare {
        PageShare {
            partition,
            range: None,
            foreign: false,
        }
    }

    /// Called before each page is read by the paginator: a new page is not foreign yet.
    pub(super) fn reading(&mut self) {
        self.foreign = false;
    }

    /// Whether the range is known yet (it is after the first page).
    pub(super) fn decided(&self) -> bool {
        self.range.is_some()
    }

    /// After the first page, with the number of pages in all (`None`: no total in the
    /// response and no maximum: shard 0 then reads every page and the others none).
    pub(super) fn first_page(&mut self, pages: Option<u64>) -> Step {
        let range = match pages {
            Some(pages) => self.partition.page_range(pages),
            None => {
                tracing::warn!(
                    partition = %self.partition,
                    "the first page has no total, so the pages cannot be split: shard 0 reads \
                     them all"
                );
                if self.partition.is_first() {
                    0..u64::MAX
                } else {
                    0..0
                }
            }
        };
        tracing::info!(
            partition = %self.partition,
            pages = ?pages,
            "shard {} reads page indexes {}..{} (from the first page, end excluded{})",
            self.partition,
            range.start,
            range.end,
            if self.partition.is_last() { ", and on while there are more" } else { "" }
        );
        let step = if range.is_empty() && !(self.partition.is_last() && pages.is_some()) {
            Step::Stop
        } else if range.start == 0 {
            Step::Continue
        } else {
            Step::Jump(range.start)
        };
        self.foreign = step != Step::Continue;
        self.range = Some(range);
        step
    }

    /// Whether page index `index` is past this shard's range (never for the last shard).
    pub(super) fn past(&self, index: u64) -> bool {
        !self.partition.is_last() && self.range.as_ref().is_some_and(|r| index >= r.end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn share(k: u32, n: u32) -> PageShare {
        PageShare::new(Partition::new(k, n).unwrap())
    }

    #[test]
    fn the_first_shard_keeps_the_first_page_the_others_jump() {
        let mut first = share(0, 4);
        assert_eq!(first.first_page(Some(10)), Step::Continue);
        assert!(!first.foreign);
        assert!(first.past(2) && !first.past(1));
        let mut second = share(1, 4);
        assert_eq!(second.first_page(Some(10)), Step::Jump(2));
        assert!(second.foreign);
        second.reading();
        assert!(!second.foreign);
        assert!(second.past(5) && !second.past(4));
    }

    #[test]
    fn the_last_shard_reads_on_and_empty_shards_stop() {
        let mut last = share(3, 4);
        assert_eq!(last.first_page(Some(10)), Step::Jump(7));
        assert!(!last.past(1000));
        // 2 pages, 4 shards: ranges 0..0, 0..1, 1..1, 1..2.
        let mut empty = share(0, 4);
        assert_eq!(empty.first_page(Some(2)), Step::Stop);
        assert!(empty.foreign);
        assert_eq!(share(1, 4).first_page(Some(2)), Step::Continue);
        assert_eq!(share(2, 4).first_page(Some(2)), Step::Stop);
        assert_eq!(share(3, 4).first_page(Some(2)), Step::Jump(1));
        // No page at all: the last shard still keeps the first (nothing is lost if pages
        // appeared since the total was read).
        assert_eq!(share(3, 4).first_page(Some(0)), Step::Continue);
        assert_eq!(share(2, 4).first_page(Some(0)), Step::Stop);
    }

    #[test]
    fn without_a_total_shard_zero_reads_everything() {
        let mut zero = share(0, 3);
        assert_eq!(zero.first_page(None), Step::Continue);
        assert!(!zero.past(u64::MAX - 1));
        assert_eq!(share(1, 3).first_page(None), Step::Stop);
        assert_eq!(share(2, 3).first_page(None), Step::Stop);
    }
}
