//! How a golden output is compared with a new run's.
//!
//! Outputs computed without training (schedules, the analysis of a recorded curve) are compared to
//! the bit. Outputs of training are compared by what must not change on any CPU — keys, their
//! order, lengths, strings, integers (points, indices, steps, stop reasons, chosen rules) exactly —
//! and their floats within a tolerance, because burn-flex's kernels take CPU-dependent SIMD paths
//! and float32 rounding differs between machines (measured: `docs/testing.md`):
//!
//! - [`TIGHT`] (relative 1e-3) for rates (every `lr`: ramps, suggestions, schedules), a range test's
//!   curve up to its smoothed minimum and every number read off it, and the first epoch of a
//!   training run (its epoch row and its steps). Cross-CPU differences measured there reach 4.4e-5;
//!   a changed smoothing β, rate, seed or step count moves them by far more.
//! - [`LOOSE`] (relative 0.25; 0.25 absolute for a regret, 25 points for a percentage in text) where
//!   training amplifies rounding: the blow-up tail of a range test (from its smoothed minimum on),
//!   later epochs of a training run, refinement candidates' held-out losses, evaluation losses,
//!   accuracies and regrets, and an evaluation's finder steps (a mean over seeds of where each
//!   range test blew up: one seed's test stopped a step later on another CPU). Measured there: up
//!   to 12% (a diverging batch at lr 0.14, late steps of a 9-epoch run whose loss is 0.003).
//!
//! A discrete pick that reads amplified numbers can flip on another CPU. The picks in the golden
//! cases — each range test's length and stop reason, the rules' indices, the grid's best rate,
//! refinement's pick — are compared exactly, and none flipped on the CPUs measured; an
//! evaluation's finder steps did, and are compared within [`LOOSE`].

use serde_json::Value;

/// Relative tolerance for what rounding cannot move measurably.
pub const TIGHT: f64 = 1e-3;
/// Relative tolerance where training amplifies rounding.
pub const LOOSE: f64 = 0.25;

/// Absolute tolerance of an accuracy (a fraction of samples) outside the loose parts.
pub const ACCURACY: f64 = 0.01;

/// How an output is compared.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Check {
    /// To the bit: computed from flags and recorded inputs only.
    Bits,
    /// Structure exactly, floats within [`TIGHT`] or [`LOOSE`].
    Trained,
}

/// The tolerance of one number.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Tol {
    Rel(f64),
    Abs(f64),
}

impl Tol {
    fn holds(self, recorded: f64, actual: f64) -> bool {
        if recorded == actual {
            return true;
        }
        if !recorded.is_finite() || !actual.is_finite() {
            return false;
        }
        let diff = (recorded - actual).abs();
        match self {
            Tol::Rel(r) => diff <= r * recorded.abs().max(actual.abs()),
            Tol::Abs(a) => diff <= a,
        }
    }
}

/// The differences between a recorded output and a new one, each naming where (empty: equal).
pub fn compare(file: &str, recorded: &str, actual: &str, check: Check) -> Vec<String> {
    if check == Check::Bits || recorded == actual {
        return if recorded == actual {
            Vec::new()
        } else {
            vec![format!("{file}: differs (compared to the bit)")]
        };
    }
    let mut diffs = Vec::new();
    if file.ends_with(".json") {
        match (
            serde_json::from_str::<Value>(recorded),
            serde_json::from_str::<Value>(actual),
        ) {
            (Ok(r), Ok(a)) => {
                let doc = Doc::of(&r);
                walk(&doc, &r, &a, &mut Vec::new(), &mut diffs);
            }
            (_, Err(e)) => diffs.push(format!("not JSON: {e}")),
            (Err(e), _) => diffs.push(format!("recorded file is not JSON: {e}")),
        }
    } else if file.ends_with(".csv") {
        compare_csv(recorded, actual, &mut diffs);
    } else {
        compare_text(recorded, actual, Tol::Rel(LOOSE), "", &mut diffs);
    }
    diffs.into_iter().map(|d| format!("{file}: {d}")).collect()
}

/// What a document's tolerances depend on, read off the recorded one.
struct Doc {
    /// A range test's curve: the index of its smoothed minimum (its tail starts after it).
    tail_from: Option<usize>,
    /// A training history: how many of its steps the first epoch holds.
    first_epoch_steps: Option<usize>,
}

impl Doc {
    fn of(v: &Value) -> Doc {
        let tail_from = v
            .pointer("/curve/loss")
            .and_then(Value::as_array)
            .map(|l| smoothed_minimum(l.iter().map(|x| x.as_f64().unwrap_or(f64::NAN))) + 1);
        let first_epoch_steps = match (
            v.pointer("/steps/loss").and_then(Value::as_array),
            v.get("epochs").and_then(Value::as_array),
        ) {
            (Some(steps), Some(epochs)) if !epochs.is_empty() => Some(steps.len() / epochs.len()),
            _ => None,
        };
        Doc {
            tail_from,
            first_epoch_steps,
        }
    }
}

/// The index of the lowest finite value (0 for none).
fn smoothed_minimum(loss: impl Iterator<Item = f64>) -> usize {
    loss.enumerate()
        .filter(|(_, l)| l.is_finite())
        .fold(
            (0, f64::INFINITY),
            |best, (i, l)| if l < best.1 { (i, l) } else { best },
        )
        .0
}

/// One step of a path into a document.
#[derive(Clone)]
enum Seg {
    Key(String),
    Index(usize),
}

fn show(path: &[Seg]) -> String {
    let mut s = String::new();
    for seg in path {
        match seg {
            Seg::Key(k) => {
                s.push('.');
                s.push_str(k);
            }
            Seg::Index(i) => s.push_str(&format!("[{i}]")),
        }
    }
    s
}

/// The tolerance of the number at `path` (see the module's documentation). An accuracy counts
/// samples: one that lands on the other side of a decision boundary moves it by 1/n (0.34% on the
/// digits' 297 held-out images), so where floats are tight it may move by [`ACCURACY`].
fn tolerance(doc: &Doc, path: &[Seg]) -> Tol {
    let accuracy = matches!(path.last(), Some(Seg::Key(k)) if k.ends_with("accuracy"));
    match section_tolerance(doc, path) {
        Tol::Rel(t) if accuracy && t <= TIGHT => Tol::Abs(ACCURACY),
        tol => tol,
    }
}

/// The tolerance of the part of the document that `path` is in.
fn section_tolerance(doc: &Doc, path: &[Seg]) -> Tol {
    let keys: Vec<&str> = path
        .iter()
        .filter_map(|s| match s {
            Seg::Key(k) => Some(k.as_str()),
            Seg::Index(_) => None,
        })
        .collect();
    let index_after = |key: &str| {
        path.windows(2).find_map(|w| match w {
            [Seg::Key(k), Seg::Index(i)] if k == key => Some(*i),
            _ => None,
        })
    };
    let last = keys.last().copied().unwrap_or("");
    let is_rate = last == "lr"
        || last.ends_with("_lr")
        || last.starts_with("lr_")
        || last == "suggestion"
        || keys.contains(&"lr");
    if is_rate {
        return Tol::Rel(TIGHT);
    }

    // An evaluation: every loss, accuracy and regret comes from training runs to the end, and the
    // finder's steps from where each seed's range test blew up.
    if matches!(
        keys.first(),
        Some(&"grid" | &"methods" | &"finder_steps" | &"finder_cost_ratio")
    ) || keys == ["best", "val_loss"]
    {
        return if last == "regret" {
            Tol::Abs(LOOSE)
        } else {
            Tol::Rel(LOOSE)
        };
    }
    // A range test's blow-up tail.
    if keys.first() == Some(&"curve") {
        if let (Some(tail), Some(i)) = (doc.tail_from, index_after(last)) {
            if i >= tail {
                return Tol::Rel(LOOSE);
            }
        }
        return Tol::Rel(TIGHT);
    }
    // A training history: the first epoch tight, the rest loose.
    if keys.first() == Some(&"epochs") {
        return Tol::Rel(if index_after("epochs") == Some(0) {
            TIGHT
        } else {
            LOOSE
        });
    }
    if keys.first() == Some(&"steps") {
        let first = doc.first_epoch_steps.unwrap_or(0);
        return Tol::Rel(match index_after(last) {
            Some(i) if i < first => TIGHT,
            _ => LOOSE,
        });
    }
    if keys.contains(&"refine") {
        return Tol::Rel(LOOSE);
    }
    Tol::Rel(TIGHT)
}

fn walk(doc: &Doc, r: &Value, a: &Value, path: &mut Vec<Seg>, diffs: &mut Vec<String>) {
    match (r, a) {
        (Value::Object(ro), Value::Object(ao)) => {
            let rk: Vec<&String> = ro.keys().collect();
            let ak: Vec<&String> = ao.keys().collect();
            if rk != ak {
                diffs.push(format!("{}: keys {rk:?} became {ak:?}", show(path)));
                return;
            }
            for (k, rv) in ro {
                path.push(Seg::Key(k.clone()));
                walk(doc, rv, &ao[k], path, diffs);
                path.pop();
            }
        }
        (Value::Array(ra), Value::Array(aa)) => {
            if ra.len() != aa.len() {
                diffs.push(format!(
                    "{}: {} elements became {}",
                    show(path),
                    ra.len(),
                    aa.len()
                ));
                return;
            }
            for (i, (rv, av)) in ra.iter().zip(aa).enumerate() {
                path.push(Seg::Index(i));
                walk(doc, rv, av, path, diffs);
                path.pop();
            }
        }
        (Value::Number(rn), Value::Number(an)) => {
            let integers = (rn.is_i64() || rn.is_u64()) && (an.is_i64() || an.is_u64());
            let (rf, af) = (
                rn.as_f64().unwrap_or(f64::NAN),
                an.as_f64().unwrap_or(f64::NAN),
            );
            let same = if integers {
                rn == an
            } else {
                !(rn.is_f64() ^ an.is_f64()) && tolerance(doc, path).holds(rf, af)
            };
            if !same {
                diffs.push(format!("{}: {rn} became {an}", show(path)));
            }
        }
        (Value::String(rs), Value::String(as_)) => {
            // Messages quote numbers read off the curve ("fell only 3.3%"): those within LOOSE.
            compare_text(rs, as_, Tol::Rel(LOOSE), &show(path), diffs);
        }
        _ if r == a => {}
        _ => diffs.push(format!("{}: {r} became {a}", show(path))),
    }
}

/// CSV: the same header and rows, every cell as the JSON rules say for its column (a range test's
/// `lr,raw_loss,loss`, a history's `epoch,…` rows: the first row is the first epoch).
fn compare_csv(recorded: &str, actual: &str, diffs: &mut Vec<String>) {
    let rows = |t: &str| -> Vec<Vec<String>> {
        t.lines()
            .map(|l| l.split(',').map(str::to_string).collect())
            .collect()
    };
    let (r, a) = (rows(recorded), rows(actual));
    if r.len() != a.len() || r.first() != a.first() {
        diffs.push(format!(
            "{} rows with header {:?} became {} with {:?}",
            r.len(),
            r.first(),
            a.len(),
            a.first()
        ));
        return;
    }
    let header = &r[0];
    let curve = header.iter().any(|h| h == "raw_loss");
    let loss_col = header.iter().position(|h| h == "loss");
    let tail_from = loss_col
        .filter(|_| curve)
        .map(|c| smoothed_minimum(r[1..].iter().map(|row| row[c].parse().unwrap_or(f64::NAN))) + 1);
    for (i, (rr, ar)) in r.iter().zip(&a).enumerate().skip(1) {
        if rr.len() != ar.len() {
            diffs.push(format!(
                "line {}: {} cells became {}",
                i + 1,
                rr.len(),
                ar.len()
            ));
            continue;
        }
        for (c, (rc, ac)) in rr.iter().zip(ar).enumerate() {
            if rc == ac {
                continue;
            }
            let column = header[c].as_str();
            let tol = if column == "lr" || column.starts_with("lr_") {
                TIGHT
            } else if let Some(tail) = tail_from {
                if i > tail {
                    LOOSE
                } else {
                    TIGHT
                }
            } else if i == 1 {
                TIGHT
            } else {
                LOOSE
            };
            match (rc.parse::<f64>(), ac.parse::<f64>()) {
                (Ok(x), Ok(y)) if Tol::Rel(tol).holds(x, y) => {}
                _ => diffs.push(format!("line {} {column}: {rc} became {ac}", i + 1)),
            }
        }
    }
}

/// Text: the same words; a number may move within `tol` (a percentage within 25 points if `tol`
/// is [`LOOSE`], 0.1 points if [`TIGHT`]).
fn compare_text(recorded: &str, actual: &str, tol: Tol, at: &str, diffs: &mut Vec<String>) {
    let (rl, al): (Vec<&str>, Vec<&str>) = (recorded.lines().collect(), actual.lines().collect());
    if rl.len() != al.len() {
        diffs.push(format!("{at}: {} lines became {}", rl.len(), al.len()));
        return;
    }
    for (n, (r, a)) in rl.iter().zip(&al).enumerate() {
        if r == a {
            continue;
        }
        let (rw, aw): (Vec<&str>, Vec<&str>) = (
            r.split_whitespace().collect(),
            a.split_whitespace().collect(),
        );
        let same = rw.len() == aw.len() && rw.iter().zip(&aw).all(|(x, y)| same_word(x, y, tol));
        if !same {
            diffs.push(format!("{at} line {}: {r:?} became {a:?}", n + 1));
        }
    }
}

fn same_word(r: &str, a: &str, tol: Tol) -> bool {
    if r == a {
        return true;
    }
    match (number_in(r), number_in(a)) {
        (Some((rp, rx, rs)), Some((ap, ax, as_))) if rp == ap && rs == as_ => {
            let tol = match (tol, rs.starts_with('%')) {
                (Tol::Rel(t), true) => Tol::Abs(100.0 * t),
                (t, _) => t,
            };
            tol.holds(rx, ax)
        }
        _ => false,
    }
}

/// A word as text before a number, the number, and text after it (`(1.02e-2)` → `(`, 0.0102, `)`).
fn number_in(word: &str) -> Option<(&str, f64, &str)> {
    let start = word.find(|c: char| c.is_ascii_digit() || c == '-' || c == '+' || c == '.')?;
    let rest = &word[start..];
    let len = (1..=rest.len())
        .rev()
        .filter(|&l| rest.is_char_boundary(l))
        .find(|&l| rest[..l].parse::<f64>().is_ok())?;
    let x = rest[..len].parse().ok()?;
    Some((&word[..start], x, &rest[len..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_in_words() {
        assert_eq!(number_in("(1.02e-2)"), Some(("(", 0.0102, ")")));
        assert_eq!(number_in("+36.0%"), Some(("", 36.0, "%")));
        assert_eq!(number_in("consensus"), None);
    }

    #[test]
    fn a_json_curve_one_step_longer_or_smoothed_otherwise_differs() {
        let doc = r#"{"points": 3, "curve": {"lr": [1e-3, 1e-2, 1e-1], "loss": [2.0, 1.5, 3.0]}}"#;
        assert!(compare("a.json", doc, doc, Check::Trained).is_empty());
        let rounded =
            r#"{"points": 3, "curve": {"lr": [1e-3, 1e-2, 1e-1], "loss": [2.00001, 1.5, 3.5]}}"#;
        assert!(compare("a.json", doc, rounded, Check::Trained).is_empty());
        let longer = r#"{"points": 4, "curve": {"lr": [1e-3, 1e-2, 1e-1, 1], "loss": [2.0, 1.5, 3.0, 9.0]}}"#;
        assert_eq!(compare("a.json", doc, longer, Check::Trained).len(), 3);
        let smoothed =
            r#"{"points": 3, "curve": {"lr": [1e-3, 1e-2, 1e-1], "loss": [2.0, 1.51, 3.0]}}"#;
        assert_eq!(
            compare("a.json", doc, smoothed, Check::Trained),
            ["a.json: .curve.loss[1]: 1.5 became 1.51"]
        );
        assert_eq!(compare("a.json", doc, rounded, Check::Bits).len(), 1);
    }

    #[test]
    fn integers_strings_and_keys_are_exact() {
        let doc = r#"{"stopped": "diverged", "index": 5, "x": 1.0}"#;
        for other in [
            r#"{"stopped": "completed", "index": 5, "x": 1.0}"#,
            r#"{"stopped": "diverged", "index": 6, "x": 1.0}"#,
            r#"{"stopped": "diverged", "index": 5, "y": 1.0}"#,
            r#"{"stopped": "diverged", "x": 1.0, "index": 5}"#,
        ] {
            assert_eq!(
                compare("a.json", doc, other, Check::Trained).len(),
                1,
                "{other}"
            );
        }
    }

    #[test]
    fn a_history_compares_its_first_epoch_tightly() {
        let doc =
            r#"{"epochs": [{"val_loss": 1.0}, {"val_loss": 0.5}], "steps": {"loss": [2.0, 1.0]}}"#;
        let later =
            r#"{"epochs": [{"val_loss": 1.0}, {"val_loss": 0.55}], "steps": {"loss": [2.0, 1.1]}}"#;
        assert!(compare("h.json", doc, later, Check::Trained).is_empty());
        let first = r#"{"epochs": [{"val_loss": 1.01}, {"val_loss": 0.5}], "steps": {"loss": [2.01, 1.0]}}"#;
        assert_eq!(compare("h.json", doc, first, Check::Trained).len(), 2);
    }

    #[test]
    fn csv_and_text() {
        let csv = "lr,raw_loss,loss\n1e-3,2.0,2.0\n1e-2,1.0,1.5\n1e-1,9.0,3.0\n";
        let tail = "lr,raw_loss,loss\n1e-3,2.0,2.0\n1e-2,1.0,1.5\n1e-1,10.0,3.2\n";
        assert!(compare("c.csv", csv, tail, Check::Trained).is_empty());
        let head = "lr,raw_loss,loss\n1e-3,2.0,2.0\n1e-2,1.1,1.5\n1e-1,9.0,3.0\n";
        assert_eq!(compare("c.csv", csv, head, Check::Trained).len(), 1);
        let text = "  sma  2.595e-2  35.8%\n";
        assert!(compare("t.txt", text, "  sma  2.595e-2  49.3%\n", Check::Trained).is_empty());
        assert_eq!(
            compare("t.txt", text, "  sma  2.595e-2  75.0%\n", Check::Trained).len(),
            1
        );
        assert_eq!(
            compare("t.txt", text, "  slide  2.595e-2  35.8%\n", Check::Trained).len(),
            1
        );
    }
}
