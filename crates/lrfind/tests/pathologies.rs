//! Curves that go wrong: each gets a sensible answer or a clear error — never a panic, a hang or
//! a silent wrong answer.

use lrfind::{analyze, AnalyzeOptions, Curve, CurveError, Method, Outcome, StopReason};
use std::io::{BufRead, BufReader, Read};

fn parse(text: &str) -> Result<Curve, CurveError> {
    Curve::parse(text)
}

/// Parses through the streaming reader too, and checks both agree.
fn both(text: &str) -> Result<Curve, String> {
    let whole = parse(text).map_err(|e| e.to_string());
    let streamed =
        Curve::read(BufReader::with_capacity(7, text.as_bytes())).map_err(|e| e.to_string());
    assert_eq!(
        whole.as_ref().map(|c| (c.lr.clone(), c.loss.len())),
        streamed.as_ref().map(|c| (c.lr.clone(), c.loss.len())),
        "whole and streamed parses differ on {text:?}"
    );
    whole
}

fn no_skip() -> AnalyzeOptions {
    AnalyzeOptions {
        skip_start: Some(0),
        skip_end: Some(0),
        ..Default::default()
    }
}

fn curve(loss: &[f64]) -> Curve {
    Curve {
        lr: (0..loss.len())
            .map(|i| 1e-5 * 10f64.powf(i as f64 / 4.0))
            .collect(),
        loss: loss.to_vec(),
        raw_loss: None,
    }
}

#[test]
fn all_nan_is_a_clear_error() {
    let e = analyze(&curve(&[f64::NAN; 20]), &no_skip()).unwrap_err();
    assert!(e.to_string().contains("finite"), "{e}");
}

#[test]
fn nan_first_leaves_nothing_to_analyze() {
    let mut loss = vec![1.0; 20];
    loss[0] = f64::NAN;
    let e = analyze(&curve(&loss), &no_skip()).unwrap_err();
    assert!(!e.to_string().is_empty());
}

#[test]
fn inf_mid_curve_truncates_there_and_says_so() {
    let mut loss: Vec<f64> = (0..30).map(|i| 2.0 - i as f64 * 0.05).collect();
    loss[20] = f64::INFINITY;
    let a = analyze(&curve(&loss), &no_skip()).unwrap();
    assert_eq!(a.curve.len(), 20);
    assert_eq!(a.truncated_from, Some(30));
    assert_eq!(a.stopped, StopReason::NonFinite);
}

#[test]
fn negative_losses_are_fine() {
    let loss: Vec<f64> = (0..40)
        .map(|i| -1.0 + ((i as f64 - 25.0) / 10.0).powi(2))
        .collect();
    let a = analyze(&curve(&loss), &no_skip()).unwrap();
    let min = a.suggestion(Method::Minimum).unwrap();
    assert!(loss[min.source] <= loss.iter().cloned().fold(f64::INFINITY, f64::min));
}

#[test]
fn constant_losses_give_errors_or_points_but_no_panic() {
    let a = analyze(&curve(&[0.7; 30]), &no_skip()).unwrap();
    for (m, o) in &a.suggestions {
        if let Outcome::Point(s) = o {
            assert!(s.lr.is_finite() && s.lr > 0.0, "{m}: {s:?}");
        }
    }
}

#[test]
fn duplicated_and_decreasing_lrs_name_the_line() {
    let e = both("lr,loss\n0.1,1\n0.1,0.9\n").unwrap_err();
    assert!(e.contains("line 3") && e.contains("not greater"), "{e}");
    let e = both("lr,loss\n0.1,1\n0.2,0.9\n0.15,0.8\n").unwrap_err();
    assert!(e.contains("line 4"), "{e}");
}

#[test]
fn one_and_two_points() {
    let e = both("lr,loss\n0.1,1\n").unwrap_err();
    assert!(e.contains("at least 2 points"), "{e}");
    let two = both("lr,loss\n0.1,1\n0.2,0.5\n").unwrap();
    let a = analyze(&two, &AnalyzeOptions::default()).unwrap();
    assert_eq!((a.skip_start, a.skip_end), (0, 0), "too short to skip");
    assert!(a.suggestion(Method::Minimum).is_some());
}

#[test]
fn bom_crlf_extra_columns_scientific_notation_and_blank_lines() {
    let text = "\u{feff}epoch,lr,loss,note\r\n\r\n0,1e-5,2.5E+0,a\r\n1,2.0e-5,2.4,b\r\n\r\n2,4E-5,2.2e0,c\r\n";
    let c = both(text).unwrap();
    assert_eq!(c.lr, vec![1e-5, 2e-5, 4e-5]);
    assert_eq!(c.loss, vec![2.5, 2.4, 2.2]);
    // Line numbers count blank lines: the bad value is on line 4.
    let e = both("lr,loss\n\n1e-5,2\n2e-5,oops\n").unwrap_err();
    assert!(e.starts_with("line 4:"), "{e}");
}

/// `n` CSV lines generated on the fly: a reader that never holds the text.
struct Generated {
    n: usize,
    next: usize,
    pending: Vec<u8>,
    at: usize,
}

impl Read for Generated {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.at == self.pending.len() {
            self.pending.clear();
            self.at = 0;
            if self.next == 0 {
                self.pending.extend_from_slice(b"lr,loss\n");
            }
            while self.pending.len() < 1 << 16 && self.next < self.n {
                let i = self.next as f64;
                let lr = 1e-7 * (i * 18.0 / self.n as f64).exp();
                let loss = 2.0 - (i / self.n as f64 * 6.0).sin();
                self.pending
                    .extend_from_slice(format!("{lr:e},{loss:e}\n").as_bytes());
                self.next += 1;
            }
        }
        let k = buf.len().min(self.pending.len() - self.at);
        buf[..k].copy_from_slice(&self.pending[self.at..self.at + k]);
        self.at += k;
        Ok(k)
    }
}

/// Peak resident memory of this process, in bytes (Linux; 0 elsewhere).
fn peak_rss() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

#[test]
fn ten_million_points_stream_in_bounded_memory() {
    let n = 10_000_000;
    let reader = std::io::BufReader::new(Generated {
        n,
        next: 0,
        pending: Vec::new(),
        at: 0,
    });
    let c = Curve::read(reader).unwrap();
    assert_eq!(c.len(), n);
    let a = analyze(&c, &AnalyzeOptions::default()).unwrap();
    assert!(a.suggestion(Method::Valley).is_some());
    assert!(a.suggestion(Method::Consensus).is_some());
    // The text (~250 MB) was never held: the points (160 MB) and the analysis' working copies
    // dominate. Other tests of this binary run alongside, so the bound is generous.
    let peak = peak_rss();
    assert!(peak < 1_500 << 20, "peak RSS {} MiB", peak >> 20);
    // Reading consumed everything.
    let mut rest = std::io::BufReader::new(std::io::empty());
    assert!(rest.fill_buf().unwrap().is_empty());
}
