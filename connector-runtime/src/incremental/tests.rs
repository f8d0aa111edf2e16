//! The window, the mark and the boundary of one resource, without HTTP.

use super::*;
use serde_json::json;

fn config(cursor: &str, initial: Value) -> Config {
    Config {
        cursor_path: connector_spec::selector::Selector::parse(cursor).unwrap(),
        initial_value: Some(initial),
        end_value: None,
        start_param: None,
        end_param: None,
        last_value_func: LastValueFunc::Max,
        on_cursor_value_missing: OnCursorValueMissing::Raise,
        lag: None,
        row_order: None,
        range_start: RangeBound::Closed,
        range_end: RangeBound::Open,
        boundary_key: BoundaryKey::PrimaryKey(vec!["id".to_owned()]),
    }
}

fn plan(func: LastValueFunc) -> IncrementalPlan {
    IncrementalPlan::new(Config {
        end_value: Some(json!(100)),
        last_value_func: func,
        ..config("updated_at", json!(10))
    })
}

/// Runs `records` through one window from `state` like the page loop does: the ids loaded,
/// and the new state.
fn run(
    p: &IncrementalPlan,
    state: Option<&IncrementalState>,
    parent: Option<&str>,
    records: &[Value],
) -> Result<(Vec<Value>, IncrementalState), Error> {
    let window = p.window(state, parent);
    let mut next = state.cloned().unwrap_or_default();
    let mut loaded = Vec::new();
    for record in records {
        if let Decision::Keep(Some(cursor)) = p.check(record, &window, "events")? {
            if p.accept(&mut next, &window, parent, &cursor, record, "events")? {
                loaded.push(record.get("id").cloned().unwrap_or(Value::Null));
            }
        }
    }
    Ok((loaded, next))
}

fn rec(id: i64, at: Value) -> Value {
    json!({"id": id, "at": at})
}

#[test]
fn window_prefers_parent_mark_then_overall_then_initial() {
    let p = IncrementalPlan::new(config("updated_at", json!(10)));
    assert_eq!(p.window(None, None).start_value, Some(json!(10)));
    let state = IncrementalState {
        last_value: Some(json!(50)),
        per_parent: [("7".to_owned(), json!(30))].into_iter().collect(),
        ..Default::default()
    };
    assert_eq!(p.window(Some(&state), None).start_value, Some(json!(50)));
    assert_eq!(
        p.window(Some(&state), Some("7")).start_value,
        Some(json!(30))
    );
    assert_eq!(
        p.window(Some(&state), Some("8")).start_value,
        Some(json!(50))
    );
}

#[test]
fn records_outside_the_window_are_dropped_and_max_advances() {
    let p = plan(LastValueFunc::Max);
    let w = p.window(None, None);
    assert!(matches!(
        p.check(&json!({"updated_at": 5}), &w, "r").unwrap(),
        Decision::Drop
    ));
    assert!(matches!(
        p.check(&json!({"updated_at": 100}), &w, "r").unwrap(),
        Decision::Drop
    ));
    assert!(matches!(
        p.check(&json!({"updated_at": 10}), &w, "r").unwrap(),
        Decision::Keep(Some(_))
    ));
    let err = p.check(&json!({"id": 1}), &w, "r").unwrap_err();
    assert!(err.to_string().contains("updated_at"), "{err}");
    let mut state = IncrementalState::default();
    for v in [20, 50, 30] {
        let record = json!({"id": v, "updated_at": v});
        assert!(p
            .accept(&mut state, &w, Some("a"), &json!(v), &record, "r")
            .unwrap());
    }
    assert_eq!(state.last_value, Some(json!(50)));
    assert_eq!(state.per_parent["a"], json!(50));
}

#[test]
fn lag_moves_the_saved_mark_back() {
    let mut config = Config {
        lag: Some(3600.0),
        ..config("t", json!("2024-01-01T00:00:00Z"))
    };
    let p = IncrementalPlan::new(config.clone());
    assert_eq!(
        p.window(None, None).start_value,
        Some(json!("2024-01-01T00:00:00Z")),
        "no lag on initial_value"
    );
    let saved = IncrementalState {
        last_value: Some(json!("2024-05-02T10:00:00Z")),
        ..Default::default()
    };
    assert_eq!(
        p.window(Some(&saved), None).start_value,
        Some(json!("2024-05-02T09:00:00Z"))
    );
    let saved = IncrementalState {
        last_value: Some(json!("2024-05-02T10:00:00+02:00")),
        ..Default::default()
    };
    assert_eq!(
        p.window(Some(&saved), None).start_value,
        Some(json!("2024-05-02T09:00:00+02:00"))
    );
    config.lag = Some(5.0);
    let p = IncrementalPlan::new(config);
    let saved = IncrementalState {
        last_value: Some(json!(100)),
        ..Default::default()
    };
    assert_eq!(p.window(Some(&saved), None).start_value, Some(json!(95)));
}

#[test]
fn range_bounds_say_whether_the_bound_itself_is_loaded() {
    let closed = plan(LastValueFunc::Max);
    let w = closed.window(None, None);
    assert!(matches!(
        closed.check(&json!({"updated_at": 10}), &w, "r").unwrap(),
        Decision::Keep(Some(_))
    ));
    assert!(matches!(
        closed.check(&json!({"updated_at": 100}), &w, "r").unwrap(),
        Decision::Drop
    ));
    let open = IncrementalPlan::new(Config {
        end_value: Some(json!(100)),
        range_start: RangeBound::Open,
        range_end: RangeBound::Closed,
        ..config("updated_at", json!(10))
    });
    let w = open.window(None, None);
    assert!(matches!(
        open.check(&json!({"updated_at": 10}), &w, "r").unwrap(),
        Decision::Drop
    ));
    assert!(matches!(
        open.check(&json!({"updated_at": 100}), &w, "r").unwrap(),
        Decision::Keep(Some(_))
    ));
}

#[test]
fn min_moves_down() {
    let p = IncrementalPlan::new(Config {
        last_value_func: LastValueFunc::Min,
        ..config("at", json!(25))
    });
    let (_, state) = run(
        &p,
        None,
        None,
        &[rec(1, json!(20)), rec(2, json!(5)), rec(3, json!(30))],
    )
    .unwrap();
    assert_eq!(state.last_value, Some(json!(5)));
    assert_eq!(state.boundary.unique_keys, [json!(2)]);
}

#[test]
fn the_records_at_the_mark_are_not_loaded_again() {
    let p = IncrementalPlan::new(config("at", json!(0)));
    let (loaded, first) = run(
        &p,
        None,
        None,
        &[rec(1, json!(5)), rec(2, json!(9)), rec(3, json!(9))],
    )
    .unwrap();
    assert_eq!(loaded, [json!(1), json!(2), json!(3)]);
    assert_eq!(first.last_value, Some(json!(9)));
    assert_eq!(first.boundary.unique_keys, [json!(2), json!(3)]);

    // The API returns the records at 9 again (>= the last value), one more at 9, and a newer one.
    let again = [
        rec(2, json!(9)),
        rec(3, json!(9)),
        rec(4, json!(9)),
        rec(5, json!(12)),
    ];
    let (loaded, second) = run(&p, Some(&first), None, &again).unwrap();
    assert_eq!(loaded, [json!(4), json!(5)], "2 and 3 were loaded at 9");
    assert_eq!(second.last_value, Some(json!(12)));
    assert_eq!(second.boundary.unique_keys, [json!(5)], "the mark moved");

    // Nothing new: the mark stays and keeps every record at it.
    let (loaded, third) = run(&p, Some(&first), None, &again[..3]).unwrap();
    assert_eq!(loaded, [json!(4)]);
    assert_eq!(third.last_value, Some(json!(9)));
    assert_eq!(third.boundary.unique_keys, [json!(2), json!(3), json!(4)]);
}

#[test]
fn without_a_primary_key_the_whole_record_is_hashed() {
    let p = IncrementalPlan::new(Config {
        boundary_key: BoundaryKey::Record,
        ..config("at", json!(0))
    });
    let records = [json!({"at": 9, "v": "a"}), json!({"at": 9, "v": "b"})];
    let (_, first) = run(&p, None, None, &records).unwrap();
    assert_eq!(
        first.boundary.unique_hashes,
        [record_hash(&records[0]), record_hash(&records[1])]
    );
    assert!(first.boundary.unique_keys.is_empty());
    // The same records with their keys in another order are the same records; a changed one
    // is new.
    let again = [json!({"v": "a", "at": 9}), json!({"at": 9, "v": "c"})];
    let window = p.window(Some(&first), None);
    let mut state = first.clone();
    let kept: Vec<bool> = again
        .iter()
        .map(|r| {
            p.accept(&mut state, &window, None, &json!(9), r, "events")
                .unwrap()
        })
        .collect();
    assert_eq!(kept, [false, true]);
}

#[test]
fn no_deduplication_where_dlt_has_none() {
    let first = IncrementalState {
        last_value: Some(json!(9)),
        boundary: Boundary {
            unique_keys: vec![json!(2)],
            ..Default::default()
        },
        ..Default::default()
    };
    for (why, config) in [
        (
            "primary_key: []",
            Config {
                boundary_key: BoundaryKey::Off,
                ..config("at", json!(0))
            },
        ),
        (
            "lag",
            Config {
                lag: Some(0.5),
                ..config("at", json!(0))
            },
        ),
    ] {
        let p = IncrementalPlan::new(config);
        let (loaded, state) = run(&p, Some(&first), None, &[rec(2, json!(9))]).unwrap();
        assert_eq!(loaded, [json!(2)], "{why}");
        assert_eq!(state.boundary, first.boundary, "{why}: nothing remembered");
    }
    // range_start: open drops the start itself; nothing needs remembering.
    let p = IncrementalPlan::new(Config {
        range_start: RangeBound::Open,
        ..config("at", json!(0))
    });
    let (loaded, state) = run(&p, None, None, &[rec(1, json!(9))]).unwrap();
    assert_eq!(loaded, [json!(1)]);
    assert!(state.boundary.is_empty());
}

#[test]
fn an_end_value_window_ignores_and_keeps_the_state() {
    let p = IncrementalPlan::new(Config {
        end_value: Some(json!(20)),
        ..config("at", json!(5))
    });
    assert!(!p.stateful());
    let saved = IncrementalState {
        last_value: Some(json!(50)),
        ..Default::default()
    };
    let window = p.window(Some(&saved), None);
    assert_eq!(
        window.start_value,
        Some(json!(5)),
        "initial_value, not the stored mark"
    );
    assert_eq!(window.end_value, Some(json!(20)));
}

#[test]
fn boundaries_are_kept_per_parent() {
    let p = IncrementalPlan::new(config("at", json!(0)));
    let (_, s) = run(&p, None, Some("a"), &[rec(1, json!(5)), rec(2, json!(5))]).unwrap();
    let (_, s) = run(&p, Some(&s), Some("b"), &[rec(1, json!(7))]).unwrap();
    assert_eq!(s.last_value, Some(json!(7)));
    assert!(
        s.boundary.is_empty(),
        "a child keeps its boundaries per parent"
    );
    assert_eq!(s.per_parent_boundary["a"].unique_keys, [json!(1), json!(2)]);
    assert_eq!(s.per_parent_boundary["b"].unique_keys, [json!(1)]);
    // Record 1 at 5 is known under parent a; under parent c (no mark of its own: the overall
    // mark 7, nothing remembered) a record 1 at 7 is loaded.
    let (loaded, _) = run(
        &p,
        Some(&s),
        Some("a"),
        &[rec(1, json!(5)), rec(3, json!(5))],
    )
    .unwrap();
    assert_eq!(loaded, [json!(3)]);
    let (loaded, _) = run(&p, Some(&s), Some("c"), &[rec(1, json!(7))]).unwrap();
    assert_eq!(loaded, [json!(1)]);
}

#[test]
fn timestamps_with_other_offsets_meet_at_the_same_instant() {
    let p = IncrementalPlan::new(config("at", json!("2024-01-01T00:00:00Z")));
    let records = [
        rec(1, json!("2024-01-01T10:00:00+02:00")), // 08:00Z
        rec(2, json!("2024-01-01T09:00:00Z")),
    ];
    let (_, first) = run(&p, None, None, &records).unwrap();
    assert_eq!(
        first.last_value,
        Some(json!("2024-01-01T09:00:00Z")),
        "as text 10:00+02:00 would win"
    );
    // The same instant written with another offset is the boundary; as the API sent it, the
    // value is kept.
    let again = [
        rec(2, json!("2024-01-01T11:00:00+02:00")),
        rec(3, json!("2024-01-01T04:00:00-05:00")),
    ];
    let (loaded, second) = run(&p, Some(&first), None, &again).unwrap();
    assert_eq!(loaded, [json!(3)]);
    assert_eq!(second.last_value, Some(json!("2024-01-01T09:00:00Z")));
    assert_eq!(second.boundary.unique_keys, [json!(2), json!(3)]);
    // A date initial_value bounds timestamp cursors.
    let p = IncrementalPlan::new(config("at", json!("2024-01-02")));
    let (loaded, _) = run(
        &p,
        None,
        None,
        &[
            rec(1, json!("2024-01-01T23:59:59Z")),
            rec(2, json!("2024-01-02T00:00:00Z")),
        ],
    )
    .unwrap();
    assert_eq!(loaded, [json!(2)]);
}

#[test]
fn cursor_values_of_different_kinds_are_an_error_naming_both() {
    let p = IncrementalPlan::new(config("at", json!("2024-01-01T00:00:00Z")));
    let err = run(&p, None, None, &[rec(1, json!(17))]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "resource `events`: incremental cursor `at`: a record's value 17 is a number, but the \
         window's start \"2024-01-01T00:00:00Z\" is a timestamp; cursor values compare only \
         with their own kind (timestamps, numbers or text), so every record's cursor and \
         initial_value/end_value must be one kind"
    );
    let p = IncrementalPlan::new(Config {
        initial_value: None,
        ..config("at", json!(0))
    });
    let err = run(&p, None, None, &[rec(1, json!(3)), rec(2, json!("4"))]).unwrap_err();
    assert!(
        err.to_string()
            .contains("a record's value \"4\" is text, but the high-water mark 3 is a number"),
        "{err}"
    );
}

#[test]
fn an_old_state_without_boundary_fields_still_loads() {
    let old: IncrementalState =
        serde_json::from_str(r#"{"last_value":"2024-01-01T04:10:00Z","per_parent":{"7":3}}"#)
            .unwrap();
    assert_eq!(old.last_value, Some(json!("2024-01-01T04:10:00Z")));
    assert!(old.boundary.is_empty() && old.per_parent_boundary.is_empty());
    let new = IncrementalState {
        last_value: Some(json!(9)),
        boundary: Boundary {
            unique_keys: vec![json!("u-1")],
            ..Default::default()
        },
        ..Default::default()
    };
    let text = serde_json::to_string(&new).unwrap();
    assert_eq!(text, r#"{"last_value":9,"unique_keys":["u-1"]}"#);
    assert_eq!(
        serde_json::from_str::<IncrementalState>(&text).unwrap(),
        new
    );
}
