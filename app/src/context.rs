//! App-wide state shared through Leptos context: the runtime configuration,
//! the time-zone choice, a coarse clock for relative times, and the job type
//! names and categories seen so far (filter suggestions).

use crate::config::Config;
use crate::logic::format::TimeZoneChoice;
use chrono::{DateTime, FixedOffset, Offset, Utc};
use leptos::prelude::*;
use std::collections::BTreeSet;

#[derive(Clone, Copy)]
pub struct AppCtx {
    pub config: StoredValue<Config>,
    pub tz: RwSignal<TimeZoneChoice>,
    /// Updated every 15 s: relative times ("3 min ago") follow it, so a
    /// thousand cells are not re-rendered every second.
    pub now: RwSignal<DateTime<Utc>>,
    pub seen_type_names: RwSignal<BTreeSet<String>>,
    pub seen_categories: RwSignal<BTreeSet<String>>,
    /// The list view the user last looked at (with its filters), for the
    /// detail page's way back.
    pub last_list: RwSignal<Option<String>>,
}

impl AppCtx {
    pub fn new(config: Config) -> Self {
        AppCtx {
            config: StoredValue::new(config),
            tz: RwSignal::new(load_tz()),
            now: RwSignal::new(Utc::now()),
            seen_type_names: RwSignal::new(BTreeSet::new()),
            seen_categories: RwSignal::new(BTreeSet::new()),
            last_list: RwSignal::new(None),
        }
    }

    pub fn api_base(&self) -> String {
        self.config.with_value(|c| c.api_base.clone())
    }

    pub fn refresh_seconds(&self) -> u32 {
        self.config.with_value(|c| c.refresh_seconds)
    }

    /// The offset to show `t` in: `None` for UTC.
    pub fn offset_for(tz: TimeZoneChoice, t: DateTime<Utc>) -> Option<FixedOffset> {
        match tz {
            TimeZoneChoice::Utc => None,
            TimeZoneChoice::Local => Some(t.with_timezone(&chrono::Local).offset().fix()),
        }
    }

    pub fn set_tz(&self, tz: TimeZoneChoice) {
        self.tz.set(tz);
        store_tz(tz);
    }
}

pub fn use_app() -> AppCtx {
    expect_context::<AppCtx>()
}

const TZ_KEY: &str = "scale-console.tz";

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

fn load_tz() -> TimeZoneChoice {
    match storage()
        .and_then(|s| s.get_item(TZ_KEY).ok().flatten())
        .as_deref()
    {
        Some("local") => TimeZoneChoice::Local,
        _ => TimeZoneChoice::Utc,
    }
}

fn store_tz(tz: TimeZoneChoice) {
    if let Some(s) = storage() {
        let _ = s.set_item(
            TZ_KEY,
            match tz {
                TimeZoneChoice::Utc => "utc",
                TimeZoneChoice::Local => "local",
            },
        );
    }
}
