//! Runtime configuration, read from `config.json` beside `index.html` at
//! start, so one build works against any Scale without rebuilding.

use serde::Deserialize;

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default)]
pub struct Config {
    /// Where the job API lives, e.g. `/api/v5` or
    /// `https://scale.example/service/scale/api/v5`.
    pub api_base: String,
    /// Seconds between list refreshes; 0 turns auto-refresh off.
    pub refresh_seconds: u32,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            api_base: "/api/v5".to_string(),
            refresh_seconds: 30,
        }
    }
}

impl Config {
    /// Reads a `config.json` body; a bad file falls back to the defaults
    /// with a reason, rather than leaving the console dead.
    pub fn from_json(body: &str) -> Result<Config, String> {
        let mut c: Config =
            serde_json::from_str(body).map_err(|e| format!("config.json is not valid: {e}"))?;
        if c.api_base.trim().is_empty() {
            c.api_base = Config::default().api_base;
        }
        Ok(c)
    }
}

/// Loads `config.json`: absent (404) means defaults; unreadable means
/// defaults plus a warning the page shows.
pub async fn load() -> (Config, Option<String>) {
    let fetched = match preloaded().await {
        Some(r) => Ok(r),
        None => gloo_net::http::Request::get(&config_url()).send().await,
    };
    match fetched {
        Ok(r) if r.status() == 404 => (Config::default(), None),
        Ok(r) if r.ok() => match r.text().await {
            Ok(body) => match Config::from_json(&body) {
                Ok(c) => (c, None),
                Err(e) => (Config::default(), Some(e)),
            },
            Err(e) => (
                Config::default(),
                Some(format!("config.json could not be read: {e}")),
            ),
        },
        Ok(r) => (
            Config::default(),
            Some(format!(
                "config.json could not be loaded (HTTP {}); using defaults",
                r.status()
            )),
        ),
        Err(e) => (
            Config::default(),
            Some(format!(
                "config.json could not be loaded ({e}); using defaults"
            )),
        ),
    }
}

/// The answer to the `config.json` request `boot.js` started while the wasm
/// loaded (`None`: there was none, as in a portal page, or it failed).
async fn preloaded() -> Option<gloo_net::http::Response> {
    use wasm_bindgen::JsCast;
    let promise = js_sys::Reflect::get(&js_sys::global(), &"__scaleJobsConfig".into())
        .ok()?
        .dyn_into::<js_sys::Promise>()
        .ok()?;
    let resp = wasm_bindgen_futures::JsFuture::from(promise).await.ok()?;
    resp.dyn_into::<web_sys::Response>().ok().map(Into::into)
}

/// `config.json` beside `index.html`: relative to a `<base href>` when the
/// page has one (the console deployed under a prefix), else at the root,
/// since the page's own URL may be a deep route like `/jobs/42`.
fn config_url() -> String {
    let doc = web_sys::window().and_then(|w| w.document());
    let has_base = doc
        .as_ref()
        .and_then(|d| d.query_selector("base[href]").ok().flatten())
        .is_some();
    match (has_base, doc.and_then(|d| d.base_uri().ok().flatten())) {
        (true, Some(base)) => format!("{}config.json", base.trim_end_matches("config.json")),
        _ => "/config.json".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_partial_files() {
        assert_eq!(Config::from_json("{}").unwrap(), Config::default());
        let c = Config::from_json(r#"{"api_base":"https://s.example/api/v5","extra":1}"#).unwrap();
        assert_eq!(c.api_base, "https://s.example/api/v5");
        assert_eq!(c.refresh_seconds, 30);
        assert_eq!(
            Config::from_json(r#"{"refresh_seconds":0}"#)
                .unwrap()
                .refresh_seconds,
            0
        );
        assert!(Config::from_json("[").is_err());
        assert!(Config::from_json(r#"{"refresh_seconds":"often"}"#).is_err());
        assert_eq!(
            Config::from_json(r#"{"api_base":""}"#).unwrap().api_base,
            "/api/v5"
        );
    }
}
