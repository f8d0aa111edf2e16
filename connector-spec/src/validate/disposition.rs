//! The settings of a `write_disposition` dict: each belongs to one merge strategy, and its
//! value must be usable (two validity columns, ISO timestamps).

use crate::model::*;
use crate::vocabulary::*;

use super::{declared, Problems, Res};

/// The dict keys and the strategy each belongs to.
const OWNERS: [(&str, MergeStrategy); 5] = [
    ("validity_column_names", MergeStrategy::Scd2),
    ("active_record_timestamp", MergeStrategy::Scd2),
    ("boundary_timestamp", MergeStrategy::Scd2),
    ("row_version_column_name", MergeStrategy::Scd2),
    ("deduplicated", MergeStrategy::DeleteInsert),
];

pub(super) fn merge_options(spec: &Spec, res: &Res, p: &mut Problems) {
    let own = res.raw.write_disposition.as_ref();
    let written = own.or(spec
        .resource_defaults
        .as_ref()
        .and_then(|d| d.write_disposition.as_ref()));
    let Some(WriteDisposition::Config(config)) = written else {
        return;
    };
    let base = res.origin("write_disposition", own.is_some());
    let strategy = config.strategy.unwrap_or(MergeStrategy::DeleteInsert);
    let set = [
        config.validity_column_names.is_some(),
        config.active_record_timestamp.is_some(),
        config.boundary_timestamp.is_some(),
        config.row_version_column_name.is_some(),
        config.deduplicated.is_some(),
    ];
    for ((key, owner), set) in OWNERS.into_iter().zip(set) {
        if set && (config.disposition != Disposition::Merge || strategy != owner) {
            p.error(
                format!("{base}.{key}"),
                format!(
                    "`{key}` belongs to the `{}` merge strategy, and this resource {}",
                    owner.as_str(),
                    if config.disposition == Disposition::Merge {
                        format!("merges with `{}`", strategy.as_str())
                    } else {
                        format!("does not merge (`{}`)", config.disposition.as_str())
                    }
                ),
            )
            .help(format!(
                "write `disposition: merge, strategy: {}`, or remove `{key}`",
                owner.as_str()
            ))
            .at_key();
        }
    }
    if let Some(names) = &config.validity_column_names {
        let distinct = names.len() == 2 && names[0] != names[1];
        if !distinct || names.iter().any(|n| n.trim().is_empty()) {
            p.error(
                format!("{base}.validity_column_names"),
                format!(
                    "`validity_column_names` needs two different column names, [from, to]; \
                     found {names:?}"
                ),
            )
            .help("for example `validity_column_names: [valid_from, valid_to]`");
        }
    }
    for (key, value) in [
        ("active_record_timestamp", &config.active_record_timestamp),
        ("boundary_timestamp", &config.boundary_timestamp),
    ] {
        if let Some(value) = value.as_deref().filter(|v| !is_iso_timestamp(v)) {
            p.error(
                format!("{base}.{key}"),
                format!("`{key}` is not an ISO date or date-time: `{value}`"),
            )
            .help("for example `9999-12-31` or `2024-01-01T00:00:00Z`");
        }
    }
    if let Some(column) = &config.row_version_column_name {
        let columns = &res.resolved.columns;
        if !columns.is_empty() && !declared(columns, column) {
            p.warning(
                format!("{base}.row_version_column_name"),
                format!(
                    "row_version_column_name `{column}` is not a declared column of `{}`; a \
                     record without it fails the load",
                    res.resolved.name
                ),
            );
        }
    }
}

/// An ISO 8601 date (`2024-01-01`) or date-time (`2024-01-01T00:00:00Z`, with or without an
/// offset, `T` or a space).
pub(crate) fn is_iso_timestamp(value: &str) -> bool {
    let value = value.trim();
    chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d").is_ok()
        || chrono::DateTime::parse_from_rfc3339(value).is_ok()
        || ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"]
            .iter()
            .any(|f| chrono::NaiveDateTime::parse_from_str(value, f).is_ok())
}

#[cfg(test)]
mod tests {
    use crate::{parse_str, Diagnostic, MergeStrategy};

    fn spec(disposition: &str) -> String {
        format!(
            "\
name: shop
client: {{ base_url: 'https://api.example.com' }}
resources:
  - name: orders
    endpoint: /orders
    primary_key: id
    write_disposition:
{disposition}"
        )
    }

    fn errors(disposition: &str) -> Vec<Diagnostic> {
        parse_str(&spec(disposition), "d.yaml").expect_err("the spec is invalid")
    }

    #[test]
    fn scd2_settings_reach_the_resolved_model() {
        let loaded = parse_str(
            &spec(
                "      disposition: merge
      strategy: scd2
      validity_column_names: [valid_from, valid_to]
      active_record_timestamp: '9999-12-31'
      boundary_timestamp: '2024-01-01T00:00:00Z'
      row_version_column_name: row_hash
",
            ),
            "d.yaml",
        )
        .unwrap();
        let orders = &loaded.resolved.resources[0];
        assert_eq!(orders.merge_strategy, MergeStrategy::Scd2);
        let options = &orders.merge_options;
        assert_eq!(
            options.validity_column_names,
            Some(["valid_from".to_owned(), "valid_to".to_owned()])
        );
        assert_eq!(
            options.active_record_timestamp.as_deref(),
            Some("9999-12-31")
        );
        assert_eq!(options.row_version_column_name.as_deref(), Some("row_hash"));
    }

    #[test]
    fn a_setting_of_another_strategy_is_an_error_at_its_key() {
        let d = &errors(
            "      disposition: merge
      strategy: upsert
      validity_column_names: [from, to]
",
        )[0];
        assert_eq!(
            d.message,
            "`validity_column_names` belongs to the `scd2` merge strategy, and this resource \
             merges with `upsert`"
        );
        assert_eq!(
            d.help.as_deref(),
            Some("write `disposition: merge, strategy: scd2`, or remove `validity_column_names`")
        );
        assert_eq!((d.line, d.column), (10, 7));
        let d = &errors(
            "      disposition: append
      deduplicated: true
",
        )[0];
        assert_eq!(
            d.message,
            "`deduplicated` belongs to the `delete-insert` merge strategy, and this resource \
             does not merge (`append`)"
        );
    }

    #[test]
    fn unusable_values_are_errors() {
        let found = errors(
            "      disposition: merge
      strategy: scd2
      validity_column_names: [at]
      boundary_timestamp: last tuesday
",
        );
        let messages: Vec<&str> = found.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "`validity_column_names` needs two different column names, [from, to]; found \
                 [\"at\"]",
                "`boundary_timestamp` is not an ISO date or date-time: `last tuesday`"
            ]
        );
        assert_eq!(found[1].line, 11);
    }
}
