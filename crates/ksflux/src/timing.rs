//! Where an API request's time goes, in a `Server-Timing` response header (shown by browsers'
//! developer tools and read by `bench/writes`): each phase a handler marks with [`phase`]
//! (authenticate, authorize, validate, write, cache, audit, ...) and the total.

use std::{cell::RefCell, future::Future, time::Instant};

use axum::{extract::Request, http::HeaderValue, middleware::Next, response::Response};

tokio::task_local! {
    static PHASES: RefCell<Vec<(&'static str, f64)>>;
}

/// Runs `f`, adding its duration to phase `name` of the current request (nothing outside a
/// request).
pub async fn phase<F: Future>(name: &'static str, f: F) -> F::Output {
    let start = Instant::now();
    let out = f.await;
    let ms = start.elapsed().as_secs_f64() * 1000.0;
    let _ = PHASES.try_with(|p| {
        let mut p = p.borrow_mut();
        match p.iter_mut().find(|(n, _)| *n == name) {
            Some((_, total)) => *total += ms,
            None => p.push((name, ms)),
        }
    });
    out
}

/// The `Server-Timing` value of `phases` and `total` milliseconds.
fn header(phases: &[(&'static str, f64)], total: f64) -> String {
    phases
        .iter()
        .chain(std::iter::once(&("total", total)))
        .map(|(n, ms)| format!("{n};dur={ms:.1}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Middleware: collects the phases of a request and answers them in `Server-Timing`.
pub async fn server_timing(req: Request, next: Next) -> Response {
    let start = Instant::now();
    PHASES
        .scope(RefCell::new(Vec::new()), async move {
            let mut res = next.run(req).await;
            let phases = PHASES.with(|p| p.take());
            let total = start.elapsed().as_secs_f64() * 1000.0;
            if let Ok(v) = HeaderValue::from_str(&header(&phases, total)) {
                res.headers_mut().insert("server-timing", v);
            }
            res
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn phases_add_up_by_name_and_end_with_the_total() {
        let phases = PHASES
            .scope(RefCell::new(Vec::new()), async {
                phase("authorize", async {}).await;
                phase("write", async {}).await;
                phase("authorize", async {}).await;
                PHASES.with(|p| p.take())
            })
            .await;
        let names: Vec<&str> = phases.iter().map(|(n, _)| *n).collect();
        assert_eq!(names, ["authorize", "write"]);
        assert_eq!(
            header(&[("authorize", 1.25), ("write", 10.0)], 12.04),
            "authorize;dur=1.2, write;dur=10.0, total;dur=12.0"
        );
        // Outside a request nothing is recorded, and nothing fails.
        assert_eq!(phase("lost", async { 7 }).await, 7);
    }
}
