//! The `#[connector]` macro's expansion time on a generated spec with many resources: the
//! same function the proc macro calls (`connector_codegen::expand_attribute`: read, validate,
//! check, generate), on a spec file in a temporary directory.

use std::fmt::Write;
use std::time::Instant;

/// A spec with `resources` resources shaped like the seeds': every tenth one a child of the
/// one before it; nine columns each, one of them a nested object.
pub fn big_spec(resources: usize) -> String {
    let mut yaml = String::from(
        "name: big\ndescription: A generated spec for timing the macro.\nclient:\n  base_url: https://api.example.com/v1\n  auth: { type: bearer, token: { secret: token } }\n  paginator: { type: offset, limit: 100 }\nresource_defaults:\n  primary_key: id\n  write_disposition: merge\n  endpoint:\n    error_handler: { max_retries: 3 }\nresources:\n",
    );
    for i in 0..resources {
        let name = format!("things_{i:03}");
        let child = i % 10 == 9;
        let path = if child {
            format!(
                "/things_{:03}/{{resources.things_{:03}.id}}/parts",
                i - 1,
                i - 1
            )
        } else {
            format!("/things_{i:03}")
        };
        let _ = write!(
            yaml,
            "  - name: {name}\n    endpoint:\n      path: \"{path}\"\n      data_selector: data\n      params: {{ status: active }}\n"
        );
        if child {
            yaml.push_str("      paginator: single_page\n    include_from_parent: [name]\n");
        }
        yaml.push_str(
            "    columns:\n      id: { data_type: bigint, nullable: false }\n      name: { data_type: text }\n      status: { data_type: text }\n      score: { data_type: double }\n      active: { data_type: bool }\n      created_at: { data_type: timestamp }\n      updated_at: { data_type: timestamp }\n      tags: { data_type: json, items: { data_type: text } }\n      owner:\n        data_type: json\n        fields:\n          id: { data_type: bigint }\n          email: { data_type: text }\n",
        );
    }
    yaml
}

/// Timings of one expansion series.
pub struct Expansion {
    pub resources: usize,
    pub runs: Vec<f64>,
    pub output_bytes: usize,
}

impl Expansion {
    pub fn median(&self) -> f64 {
        let mut runs = self.runs.clone();
        runs.sort_by(f64::total_cmp);
        runs.get(runs.len() / 2).copied().unwrap_or(f64::NAN)
    }
}

/// Expands `#[connector("big.yaml")] pub mod big {}` `runs` times.
pub fn time_expansion(resources: usize, runs: usize) -> Result<Expansion, String> {
    let dir = tempfile::tempdir().map_err(|e| format!("temp dir: {e}"))?;
    std::fs::write(dir.path().join("big.yaml"), big_spec(resources))
        .map_err(|e| format!("write spec: {e}"))?;
    let mut times = Vec::new();
    let mut output_bytes = 0;
    for _ in 0..runs.max(1) {
        let started = Instant::now();
        let tokens = connector_codegen::expand_attribute(
            quote::quote!("big.yaml"),
            quote::quote!(
                pub mod big {}
            ),
            dir.path(),
            connector_codegen::DEFAULT_RUNTIME_PATH,
        );
        times.push(started.elapsed().as_secs_f64());
        let text = tokens.to_string();
        if text.contains("compile_error") {
            return Err(format!(
                "the generated spec does not expand: {}",
                &text[..text.len().min(600)]
            ));
        }
        output_bytes = text.len();
    }
    Ok(Expansion {
        resources,
        runs: times,
        output_bytes,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_big_spec_is_valid() {
        let yaml = super::big_spec(20);
        let loaded = connector_spec::parse_str(&yaml, "big.yaml")
            .map_err(|d| format!("{d:?}"))
            .unwrap();
        assert_eq!(loaded.spec.resources.len(), 20);
        assert_eq!(
            loaded.spec.parent_of("things_009").map(|p| p.parent),
            Some("things_008".to_owned())
        );
    }
}
