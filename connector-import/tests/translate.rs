//! What the importer makes of the smaller Python forms, on inline `.py` sources: the YAML it
//! writes and the notes it gives, with their lines.

use std::path::Path;

use connector_import::{import_dlt, Import, NoteKind, Options};

fn import(code: &str) -> Import {
    let options = Options {
        name: Some("shop".to_owned()),
        spec_file: None,
    };
    import_dlt(code, Path::new("shop.py"), &options)
}

/// `(kind, line, message)` of every note.
fn notes(import: &Import) -> Vec<(NoteKind, usize, String)> {
    import
        .notes
        .iter()
        .map(|n| (n.kind, n.line, n.message.clone()))
        .collect()
}

fn has(import: &Import, kind: NoteKind, line: usize, message: &str) {
    assert!(
        import
            .notes
            .iter()
            .any(|n| n.kind == kind && n.line == line && n.message == message),
        "no {kind:?} at {line}: {message}\n{:#?}",
        notes(import)
    );
}

#[test]
fn a_dlt_section_prefix_is_dropped_and_names_are_snake_cased() {
    let i = import(
        "rest_api_source({\n  'client': {'base_url': 'https://a.example.com', 'auth': {'type': 'bearer', 'token': dlt.secrets['sources.shop.API_TOKEN']}},\n  'resources': ['orders'],\n})\n",
    );
    assert!(i.succeeded(), "{:#?}", notes(&i));
    assert!(
        i.yaml
            .as_deref()
            .unwrap()
            .contains("token: { secret: api_token }"),
        "{}",
        i.yaml.unwrap()
    );
    has(
        &i,
        NoteKind::Translated,
        2,
        "`dlt.secrets['sources.shop.API_TOKEN']` → { secret: api_token } (dlt's section `sources.shop` is the connector's secrets section)",
    );
}

#[test]
fn a_secret_inside_an_f_string_and_a_config_value_are_left_out_with_the_reason() {
    let i = import(
        "def source(region=dlt.config.value):\n    return rest_api_source({\n        'client': {'base_url': 'https://a.example.com', 'headers': {'Authorization': f\"Bearer {dlt.secrets['token']}\", 'X-Region': region}},\n        'resources': ['orders'],\n    })\n",
    );
    assert!(i.succeeded(), "{:#?}", notes(&i));
    has(
        &i,
        NoteKind::Warning,
        3,
        "`client.headers.Authorization`: the f-string `f\"Bearer {dlt.secrets['token']}\"` puts a secret inside a longer text; a spec takes a secret only as a whole value (a bearer token is `auth: { type: bearer, token: { secret: NAME } }`); left out",
    );
    assert!(
        !i.notes.iter().any(|n| n.kind == NoteKind::Translated),
        "{:#?}",
        notes(&i)
    );
    has(
        &i,
        NoteKind::Warning,
        3,
        "`client.headers.X-Region`: `region` is a dlt config value (default `dlt.config.value`), read from config.toml when the source runs; write the value in the spec; left out",
    );
}

#[test]
fn an_unknown_name_and_an_unknown_argument_are_reported() {
    let i = import(
        "rest_api_source(\n    {'client': {'base_url': BASE}, 'resources': ['orders']},\n    parallelized=True,\n)\n",
    );
    assert!(!i.succeeded());
    has(
        &i,
        NoteKind::Warning,
        2,
        "`client.base_url`: `BASE` is not defined in this file; left out",
    );
    has(
        &i,
        NoteKind::Warning,
        3,
        "the `parallelized=` argument of `rest_api_source` has no spec form; left out",
    );
    has(
        &i,
        NoteKind::Error,
        2,
        "the spec (line 3, `client`): missing required key `base_url`",
    );
}

#[test]
fn a_config_changed_after_it_is_assigned_is_warned_about() {
    let i = import(
        "config = {'client': {'base_url': 'https://a.example.com'}, 'resources': ['orders']}\nconfig['resources'].append('refunds')\nconfig['client']['timeout_seconds'] = 5\nsource = rest_api_source(config)\n",
    );
    assert!(i.succeeded(), "{:#?}", notes(&i));
    for line in [2, 3] {
        has(
            &i,
            NoteKind::Warning,
            line,
            "`config` is changed here by Python; the import reads it as assigned, without this change",
        );
    }
}

#[test]
fn a_bare_config_dict_without_a_call_is_found() {
    let i = import(
        "from dlt.sources.rest_api import RESTAPIConfig\n\nCONFIG: RESTAPIConfig = {\n    'client': {'base_url': 'https://a.example.com'},\n    'resources': [{'name': 'orders', 'primary_key': ('id', 'shop'), 'write_disposition': 'replace'}],\n}\n",
    );
    assert!(i.succeeded(), "{:#?}", notes(&i));
    let yaml = i.yaml.unwrap();
    assert!(
        yaml.contains(
            "  - name: orders\n    primary_key: [id, shop]\n    write_disposition: replace\n"
        ),
        "{yaml}"
    );
}
