//! The published schema is the one the document type generates, and a real document reads back
//! as written.

use lrfind::{analyze, Curve, Method, RangeTestDocument, RANGE_TEST_SCHEMA};
use lrfind_train::regret::EvaluationDocument;
use lrfind_train::HistoryDocument;
use std::path::Path;

/// Every published schema is the one its document type generates; `LRFIND_BLESS=1` rewrites them.
#[test]
fn the_published_schemas_are_the_documents() {
    let schemas = [
        ("range-test.json", RangeTestDocument::json_schema()),
        ("history.json", json_schema::<HistoryDocument>()),
        ("evaluation.json", json_schema::<EvaluationDocument>()),
    ];
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/schema");
    let bless = std::env::var_os("LRFIND_BLESS").is_some();
    if bless {
        std::fs::create_dir_all(&dir).unwrap();
    }
    for (file, schema) in schemas {
        let path = dir.join(file);
        let generated = serde_json::to_string_pretty(&schema).unwrap() + "\n";
        if bless {
            std::fs::write(&path, &generated).unwrap();
            continue;
        }
        let published = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            published == generated,
            "{} is not its document's schema; `LRFIND_BLESS=1 cargo test -p lrfind-train --test schema` rewrites it",
            path.display()
        );
    }
}

fn json_schema<T: schemars::JsonSchema>() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(T)).unwrap()
}

#[test]
fn a_document_reads_back_as_written() {
    let curve = Curve::read_path(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../lrfind/tests/data/suggest/digits_mlp_adam_s0/curve.csv"),
    )
    .unwrap();
    let analysis = analyze(&curve, &Default::default()).unwrap();
    let doc = RangeTestDocument::recommending(&analysis, Method::Valley);
    assert_eq!(doc.schema, RANGE_TEST_SCHEMA);
    let text = serde_json::to_string_pretty(&doc).unwrap();
    let back: RangeTestDocument = serde_json::from_str(&text).unwrap();
    assert_eq!(back, doc);
    assert_eq!(
        back.recommended.as_ref().unwrap().method,
        Some(Method::Valley)
    );
    // Every rule's outcome keeps its kind: the bounds are not read back as a point.
    assert_eq!(
        serde_json::to_value(&back.suggestions).unwrap(),
        serde_json::to_value(&doc.suggestions).unwrap()
    );
    // A file without `"schema"` predates the key and has version 1's layout.
    let mut old: serde_json::Value = serde_json::from_str(&text).unwrap();
    old.as_object_mut().unwrap().remove("schema");
    let old: RangeTestDocument = serde_json::from_value(old).unwrap();
    assert_eq!(old.schema, 1);
}
