//! The inline test form, and a spec with no secrets.
#![deny(warnings)]

#[connector::connector(yaml = r#"
name: tiny
client:
  base_url: https://api.example.com
resources:
  - name: things
    endpoint: /things
    columns:
      id: { data_type: bigint, nullable: false }
"#)]
mod tiny {}

fn main() {
    let secrets = tiny::Secrets::default();
    let _ = tiny::Client::new(secrets);
    let _: i64 = 0;
    assert_eq!(tiny::NAME, "tiny");
    assert!(tiny::SPEC_JSON.contains("things"));
}
