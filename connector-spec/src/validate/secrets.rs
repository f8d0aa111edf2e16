//! Secret names: lower snake case, one meaning each.

use std::collections::BTreeMap;

use crate::model::*;

use super::{is_lower_snake, Problems};
use crate::naming::{sanitize, Case};

/// Secret names: lower snake case, one meaning each.
pub(super) fn secrets(spec: &Spec, p: &mut Problems) {
    let mut roles: BTreeMap<&str, (String, &'static str)> = BTreeMap::new();
    for (path, name) in spec.secret_refs() {
        let secret_path = format!("{path}.secret");
        if !is_lower_snake(name) {
            let fixed = sanitize(name, Case::Snake);
            let e = p.error(
                secret_path.clone(),
                format!(
                    "secret name `{name}` must be lower snake case: it becomes the environment variable `{}__{}`",
                    spec.name.to_uppercase(),
                    name.to_uppercase()
                ),
            );
            if is_lower_snake(&fixed) {
                e.help(format!("use `{fixed}`"));
            }
        }
        let role = secret_role(&path);
        if let Some(role) = role {
            match roles.get(name) {
                Some((first_path, first_role)) if *first_role != role => {
                    p.error(
                        secret_path,
                        format!(
                            "secret `{name}` is used as the {role} here but as the {first_role} at `{first_path}`; one secret name must mean one thing"
                        ),
                    )
                    .help("give each credential its own secret name");
                }
                Some(_) => {}
                None => {
                    roles.insert(name, (path.clone(), role));
                }
            }
        }
    }
}

/// What an auth field's secret is, for the one-meaning rule (headers and params have no role).
fn secret_role(path: &str) -> Option<&'static str> {
    if !path.contains(".auth.") {
        return None;
    }
    let key = path.rsplit('.').next().unwrap_or_default();
    Some(match key {
        "access_token_url" | "token_url" => "token URL",
        "client_id" => "client id",
        "client_secret" => "client secret",
        "refresh_token" => "refresh token",
        "username" => "user name",
        "password" => "password",
        "token" | "api_key" | "access_token" => "token",
        _ => return None,
    })
}
