//! `connector completions SHELL` as a user runs it.

use assert_cmd::Command;

fn completions(shell: &str) -> std::process::Output {
    Command::cargo_bin("connector")
        .expect("binary builds")
        .args(["completions", shell])
        .output()
        .expect("runs")
}

#[test]
fn bash_script_completes_every_subcommand() {
    let out = completions("bash");
    assert_eq!(out.status.code(), Some(0));
    let script = String::from_utf8(out.stdout).expect("UTF-8 script");
    assert!(
        script.contains("_connector()"),
        "not a bash function: {script}"
    );
    assert!(script.contains("complete -F _connector"), "{script}");
    for word in [
        "sync",
        "check",
        "generate",
        "schema",
        "completions",
        "--full-refresh",
    ] {
        assert!(script.contains(word), "`{word}` is not completed");
    }
}

#[test]
fn every_listed_shell_prints_a_script() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = completions(shell);
        assert_eq!(out.status.code(), Some(0), "{shell}");
        let script = String::from_utf8_lossy(&out.stdout);
        assert!(script.contains("sync"), "{shell}: {script}");
    }
}

#[test]
fn unknown_shell_is_a_usage_error_listing_the_shells() {
    let out = completions("nosh");
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("invalid value 'nosh'")
            && stderr.contains("bash, elvish, fish, powershell, zsh"),
        "{stderr}"
    );
}
