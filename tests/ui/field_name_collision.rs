// Two columns that are one Rust field once sanitized.
#[connector::connector(yaml = r#"
name: demo
client:
  base_url: https://api.example.com
resources:
  - name: users
    endpoint: /users
    columns:
      firstName: { data_type: text }
      first_name: { data_type: text }
"#)]
mod demo {}

fn main() {}
