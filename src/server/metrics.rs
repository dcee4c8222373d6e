//! Prometheus text metrics, kept by hand: request counts and latency
//! histograms by endpoint and status, decisions by route, reviews, decisions
//! of the route model, reloads by outcome, history failures, and the loaded
//! rule-set version.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Duration;

use crate::rules::Route;

/// Latency buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

#[derive(Default)]
struct Inner {
    requests: BTreeMap<(&'static str, u16), Histogram>,
    decisions: BTreeMap<&'static str, u64>,
    reviews: u64,
    by_model: u64,
    reloads: BTreeMap<&'static str, u64>,
    history_unavailable: u64,
}

/// The service's metrics.
#[derive(Default)]
pub struct Metrics {
    inner: Mutex<Inner>,
}

impl Metrics {
    fn with(&self, f: impl FnOnce(&mut Inner)) {
        if let Ok(mut inner) = self.inner.lock() {
            f(&mut inner);
        }
    }

    pub fn request(&self, endpoint: &'static str, status: u16, took: Duration) {
        let secs = took.as_secs_f64();
        self.with(|m| {
            let h = m.requests.entry((endpoint, status)).or_default();
            for (i, b) in BUCKETS.iter().enumerate() {
                if secs <= *b {
                    h.counts[i] += 1;
                }
            }
            h.count += 1;
            h.sum += secs;
        });
    }

    /// A decision; `by_model`: the route model gave its route.
    pub fn decision(&self, route: Route, review: bool, by_model: bool) {
        self.with(|m| {
            *m.decisions.entry(route.as_str()).or_default() += 1;
            m.reviews += u64::from(review);
            m.by_model += u64::from(by_model);
        });
    }

    pub fn reload(&self, outcome: &'static str) {
        self.with(|m| *m.reloads.entry(outcome).or_default() += 1);
    }

    pub fn history_unavailable(&self) {
        self.with(|m| m.history_unavailable += 1);
    }

    /// The Prometheus text exposition.
    pub fn render(&self, version: &str, digest: &str, history_ok: bool) -> String {
        let mut s = String::new();
        let Ok(m) = self.inner.lock() else {
            return s;
        };
        let _ = writeln!(
            s,
            "# HELP fenliu_http_requests_total Requests by endpoint and status."
        );
        let _ = writeln!(s, "# TYPE fenliu_http_requests_total counter");
        for ((e, st), h) in &m.requests {
            let _ = writeln!(
                s,
                "fenliu_http_requests_total{{endpoint=\"{e}\",status=\"{st}\"}} {}",
                h.count
            );
        }
        let _ = writeln!(
            s,
            "# HELP fenliu_http_request_duration_seconds Request latency by endpoint and status."
        );
        let _ = writeln!(s, "# TYPE fenliu_http_request_duration_seconds histogram");
        for ((e, st), h) in &m.requests {
            for (i, b) in BUCKETS.iter().enumerate() {
                let _ = writeln!(s, "fenliu_http_request_duration_seconds_bucket{{endpoint=\"{e}\",status=\"{st}\",le=\"{b}\"}} {}", h.counts[i]);
            }
            let _ = writeln!(s, "fenliu_http_request_duration_seconds_bucket{{endpoint=\"{e}\",status=\"{st}\",le=\"+Inf\"}} {}", h.count);
            let _ = writeln!(
                s,
                "fenliu_http_request_duration_seconds_sum{{endpoint=\"{e}\",status=\"{st}\"}} {}",
                h.sum
            );
            let _ = writeln!(
                s,
                "fenliu_http_request_duration_seconds_count{{endpoint=\"{e}\",status=\"{st}\"}} {}",
                h.count
            );
        }
        let _ = writeln!(s, "# HELP fenliu_decisions_total Decisions by route.");
        let _ = writeln!(s, "# TYPE fenliu_decisions_total counter");
        let mut total = 0;
        for r in Route::ALL {
            let n = m.decisions.get(r.as_str()).copied().unwrap_or(0);
            total += n;
            let _ = writeln!(s, "fenliu_decisions_total{{route=\"{r}\"}} {n}");
        }
        let _ = writeln!(
            s,
            "# HELP fenliu_decisions_review_total Decisions flagged for review."
        );
        let _ = writeln!(s, "# TYPE fenliu_decisions_review_total counter");
        let _ = writeln!(s, "fenliu_decisions_review_total {}", m.reviews);
        let _ = writeln!(
            s,
            "# HELP fenliu_review_rate Share of decisions flagged for review since start."
        );
        let _ = writeln!(s, "# TYPE fenliu_review_rate gauge");
        let rate = if total == 0 {
            0.0
        } else {
            m.reviews as f64 / total as f64
        };
        let _ = writeln!(s, "fenliu_review_rate {rate}");
        let _ = writeln!(
            s,
            "# HELP fenliu_route_model_decisions_total Decisions whose route the route model gave (no rule, or only a weak one, fired)."
        );
        let _ = writeln!(s, "# TYPE fenliu_route_model_decisions_total counter");
        let _ = writeln!(s, "fenliu_route_model_decisions_total {}", m.by_model);
        let _ = writeln!(
            s,
            "# HELP fenliu_ruleset_reloads_total Rule-set reloads by outcome."
        );
        let _ = writeln!(s, "# TYPE fenliu_ruleset_reloads_total counter");
        for outcome in ["success", "failure"] {
            let _ = writeln!(
                s,
                "fenliu_ruleset_reloads_total{{outcome=\"{outcome}\"}} {}",
                m.reloads.get(outcome).copied().unwrap_or(0)
            );
        }
        let _ = writeln!(s, "# HELP fenliu_ruleset_info The loaded rule set.");
        let _ = writeln!(s, "# TYPE fenliu_ruleset_info gauge");
        let _ = writeln!(
            s,
            "fenliu_ruleset_info{{version=\"{}\",digest=\"{}\"}} 1",
            escape(version),
            escape(digest)
        );
        let _ = writeln!(s, "# HELP fenliu_history_unavailable_total Classifications whose history could not be read or written.");
        let _ = writeln!(s, "# TYPE fenliu_history_unavailable_total counter");
        let _ = writeln!(
            s,
            "fenliu_history_unavailable_total {}",
            m.history_unavailable
        );
        let _ = writeln!(
            s,
            "# HELP fenliu_history_up Whether the history store answers."
        );
        let _ = writeln!(s, "# TYPE fenliu_history_up gauge");
        let _ = writeln!(s, "fenliu_history_up {}", u8::from(history_ok));
        s
    }
}

fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}
