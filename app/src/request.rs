//! The request discipline every loading view shares: one request at a time
//! per view, a newer one aborts the one in flight, an answer that arrives
//! after a newer request started (or after the view is gone) is dropped,
//! and a once-a-second ticker that the view's cleanup stops.
//!
//! The list pages, the job page and the widgets each had their own copy of
//! this; one copy keeps the rules the benchmark checks (no overlapping
//! requests, none while hidden) the same everywhere.

use leptos::prelude::*;
use web_sys::{AbortController, AbortSignal};

/// One view's request slot. `Copy`: it is a handle to reactive storage
/// owned by the view that made it.
#[derive(Clone, Copy)]
pub struct RequestSlot {
    seq: StoredValue<u64>,
    in_flight: StoredValue<Option<AbortController>, LocalStorage>,
    /// True from `start` until the newest request's `finish`.
    pub loading: RwSignal<bool>,
}

/// Which request an answer belongs to.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Ticket(u64);

impl Default for RequestSlot {
    fn default() -> Self {
        Self::new()
    }
}

impl RequestSlot {
    pub fn new() -> Self {
        let slot = RequestSlot {
            seq: StoredValue::new(0),
            in_flight: StoredValue::new_local(None),
            loading: RwSignal::new(false),
        };
        // A view that goes away takes its request with it.
        on_cleanup(move || slot.abort());
        slot
    }

    /// Aborts the request in flight, if any, and starts a new one: its
    /// ticket, and the signal to pass to `fetch`.
    pub fn start(&self) -> (Ticket, Option<AbortSignal>) {
        self.abort();
        let controller = AbortController::new().ok();
        let signal = controller.as_ref().map(AbortController::signal);
        self.in_flight.set_value(controller);
        let n = self.seq.get_value() + 1;
        self.seq.set_value(n);
        self.loading.set(true);
        (Ticket(n), signal)
    }

    /// Whether `ticket` is still the newest request of a live view.
    pub fn is_current(&self, ticket: Ticket) -> bool {
        self.seq.try_get_value() == Some(ticket.0)
    }

    /// Called when `ticket`'s answer arrives: `false` means drop it (a newer
    /// request replaced it, or the view is gone); `true` ends loading.
    pub fn finish(&self, ticket: Ticket) -> bool {
        if !self.is_current(ticket) {
            return false;
        }
        self.in_flight.set_value(None);
        self.loading.set(false);
        true
    }

    /// Aborts the request in flight (its answer will not be used).
    pub fn abort(&self) {
        if let Some(c) = self.in_flight.try_update_value(Option::take).flatten() {
            c.abort();
        }
    }
}

/// Runs `tick` once a second until the current view is cleaned up.
pub fn every_second(tick: impl Fn() + 'static) {
    let handle = set_interval_with_handle(tick, std::time::Duration::from_secs(1)).ok();
    on_cleanup(move || {
        if let Some(h) = handle {
            h.clear();
        }
    });
}
