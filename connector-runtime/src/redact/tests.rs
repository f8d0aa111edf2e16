use base64::engine::general_purpose::{STANDARD, URL_SAFE};
use base64::Engine as _;
use proptest::prelude::*;

use super::*;

#[test]
fn hides_credential_params_and_known_values() {
    let r = Redactor::default();
    r.add_value("topsecretvalue");
    r.add_param("x-key");
    let url = Url::parse("https://h/p?api_key=abc&page=2&x-key=zzz&q=topsecretvalue").unwrap();
    let shown = r.url(&url);
    assert_eq!(shown, "https://h/p?api_key=***&page=2&x-key=***&q=***");
    assert_eq!(r.text("Bearer topsecretvalue!"), "Bearer ***!");
}

#[test]
fn excerpt_is_cut_and_redacted() {
    let r = Redactor::default();
    r.add_value("hunter2");
    assert_eq!(r.excerpt(b"  error hunter2 and more  ", 11), "error *** a…");
    assert_eq!(r.excerpt(b"error hunte", 100), "error hunte");
    assert_eq!(r.excerpt(b"xx hunter2", 5), "xx **…");
}

#[test]
fn encoded_forms_of_the_users_example_are_hidden() {
    let r = Redactor::default();
    let key = "k3y+Ab/Cd==&x y";
    r.add_value(key);
    for shown in [
        "k3y%2BAb%2FCd%3D%3D%26x+y",
        "k3y%2bAb%2fCd%3d%3d%26x%20y",
        "k3y+Ab/Cd==&x%20y",
        "k3y+Ab\\/Cd==&x y",
    ] {
        assert_eq!(
            r.text(&format!("url ?api_key={shown}&page=2")),
            "url ?api_key=***&page=2"
        );
    }
    // A parameter whose name says nothing: the value is still found, encoded.
    let url = Url::parse("https://h/p?page=2").unwrap();
    let mut url = url;
    url.query_pairs_mut().append_pair("q", key);
    assert_eq!(r.url(&url), "https://h/p?page=2&q=***");
}

#[test]
fn basic_pairs_are_hidden_whole_and_in_part() {
    let r = Redactor::default();
    r.add_basic_pair("demo-user", "pässw0rd\"x");
    let header = format!("Basic {}", STANDARD.encode("demo-user:pässw0rd\"x"));
    assert_eq!(r.text(&header), "Basic ***");
    // Only the password known: the characters that depend on it alone are hidden.
    let r = Redactor::default();
    r.add_value("pässw0rd\"x");
    let encoded = STANDARD.encode("someone:pässw0rd\"x");
    let shown = r.text(&encoded);
    assert!(shown.contains("***"), "{shown}");
    assert!(shown.len() < encoded.len() - 6, "{shown}");
}

#[test]
fn text_without_secrets_is_unchanged() {
    let r = Redactor::default();
    r.add_value("%+\\x");
    let text = "100% of 2+2 \\ and %41 \\u0041 ünïcödé";
    assert_eq!(r.text(text), text);
}

/// Every way the runtime's neighbours write a secret into text.
fn encodings(secret: &str) -> Vec<String> {
    let percent = |upper: bool, space: &str| {
        secret
            .bytes()
            .map(|b| match b {
                b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                    char::from(b).to_string()
                }
                b' ' => space.to_owned(),
                _ if upper => format!("%{b:02X}"),
                _ => format!("%{b:02x}"),
            })
            .collect::<String>()
    };
    let json = serde_json::to_string(secret).unwrap();
    let ascii_json: String = secret
        .chars()
        .map(|c| match c {
            '"' => "\\\"".to_owned(),
            '\\' => "\\\\".to_owned(),
            c if c.is_ascii() && !c.is_ascii_control() => c.to_string(),
            c => c
                .encode_utf16(&mut [0; 2])
                .iter()
                .map(|u| format!("\\u{u:04x}"))
                .collect(),
        })
        .collect();
    let mut query = Url::parse("https://h/p").unwrap();
    query.query_pairs_mut().append_pair("q", secret);
    let query = query.query().unwrap()["q=".len()..].to_owned();
    let pair = format!("user:{secret}");
    vec![
        secret.to_owned(),
        url::form_urlencoded::byte_serialize(secret.as_bytes()).collect(),
        percent(true, "%20"),
        percent(false, "%20"),
        percent(true, "+"),
        percent(false, "+"),
        query,
        json[1..json.len() - 1].to_owned(),
        ascii_json,
        STANDARD.encode(secret),
        URL_SAFE.encode(secret),
        STANDARD.encode(&pair),
        URL_SAFE.encode(&pair),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn every_encoding_of_a_secret_is_hidden(
        secret in "[a-zA-Z0-9+/=&% \"\\\\é中😀]{3,24}",
        before in "[a-z :=?&]{0,8}",
        after in "[a-z :=?&]{0,8}",
    ) {
        let r = Redactor::default();
        r.add_value(&secret);
        r.add_basic_pair("user", &secret);
        for encoded in encodings(&secret) {
            let text = format!("{before}{encoded}{after}");
            let shown = r.text(&text);
            prop_assert!(!shown.contains(&encoded), "{encoded:?} in {shown:?}");
            prop_assert!(shown.contains("***"), "{shown:?}");
        }
    }

    #[test]
    fn embedded_base64_loses_the_secret(
        secret in "[a-zA-Z0-9+/=&% \"é]{8,24}",
        user in "[a-z]{1,9}",
    ) {
        // The password alone is known (the user name is a literal of the spec).
        let r = Redactor::default();
        r.add_value(&secret);
        let encoded = STANDARD.encode(format!("{user}:{secret}"));
        let shown = r.text(&encoded);
        prop_assert!(shown.contains("***"), "{shown:?}");
        // At most the characters mixing the user name's bits and the password's stay.
        prop_assert!(shown.len() <= encoded.len() - (secret.len() * 4 / 3 - 4) + 3, "{shown:?}");
    }
}
