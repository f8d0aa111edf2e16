//! `demo-server`: runs the demo server until Ctrl-C, printing its URL on the first line of
//! stdout (for bench and compare scripts).
//!
//! Flags (each also read from the environment variable named after it):
//! `--port N` (env `DEMO_SERVER_PORT`) (default 0: any free port),
//! `--records N` (env `DEMO_SERVER_RECORDS`) (records of /bench/items, default 10000),
//! `--page-size N` (env `DEMO_SERVER_PAGE_SIZE`) (default page size of /bench, default 100),
//! `--parents N` (env `DEMO_SERVER_PARENTS`) (records of /bench/parents, default 100),
//! `--children N` (env `DEMO_SERVER_CHILDREN`) (children of each bench parent, default 5),
//! `--latency-ms N` (env `DEMO_SERVER_LATENCY_MS`) (added to every request, default 0).

use std::process::ExitCode;
use std::time::Duration;

use connector_demo_server::{DemoConfig, DemoServer, Seed};

const USAGE: &str =
    "usage: demo-server [--port N] [--records N] [--page-size N] [--parents N] [--children N] [--latency-ms N]";

fn main() -> ExitCode {
    let env = |name: &str| std::env::var(name).ok();
    let config = match parse(std::env::args().skip(1), env) {
        Ok(Some(config)) => config,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("demo-server: {message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("demo-server: cannot start the tokio runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(run(config))
}

async fn run(config: DemoConfig) -> ExitCode {
    let port = config.port;
    let server = match DemoServer::try_start(config).await {
        Ok(server) => server,
        Err(e) => {
            eprintln!("demo-server: cannot bind 127.0.0.1:{port}: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("{}", server.base_url());
    let config = server.config();
    eprintln!(
        "bench: {} ({} records, page size {}), {} ({} parents, {} children each)",
        server.url("/bench/items"),
        config.bench_records,
        config.bench_page_size,
        server.url("/bench/parents"),
        config.bench_parents,
        config.bench_children_per_parent,
    );
    for seed in Seed::ALL {
        match server.token_url(seed) {
            Some(token_url) => eprintln!(
                "{}: base_url {} token_url {token_url}",
                seed.name(),
                server.seed_url(seed)
            ),
            None => eprintln!("{}: base_url {}", seed.name(), server.seed_url(seed)),
        }
    }
    eprintln!("latency {:?} per request; Ctrl-C stops", config.latency);
    if let Err(e) = tokio::signal::ctrl_c().await {
        eprintln!("demo-server: cannot wait for Ctrl-C: {e}");
    }
    server.shutdown().await;
    ExitCode::SUCCESS
}

/// Each flag and the environment variable that sets it too.
const FLAGS: [(&str, &str); 6] = [
    ("--port", "DEMO_SERVER_PORT"),
    ("--records", "DEMO_SERVER_RECORDS"),
    ("--page-size", "DEMO_SERVER_PAGE_SIZE"),
    ("--parents", "DEMO_SERVER_PARENTS"),
    ("--children", "DEMO_SERVER_CHILDREN"),
    ("--latency-ms", "DEMO_SERVER_LATENCY_MS"),
];

/// Flags (and the environment variables `env` looks up) to a config; `None` asks for help.
fn parse(
    args: impl Iterator<Item = String>,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Option<DemoConfig>, String> {
    let mut config = DemoConfig::default();
    // Environment first, so flags given on the command line win.
    let mut values: Vec<(String, String)> = FLAGS
        .iter()
        .filter_map(|(flag, var)| env(var).map(|value| (flag.to_string(), value)))
        .collect();
    let mut args = args;
    while let Some(arg) = args.next() {
        if arg == "--help" || arg == "-h" {
            return Ok(None);
        }
        let (flag, value) = match arg.split_once('=') {
            Some((flag, value)) => (flag.to_owned(), value.to_owned()),
            None => {
                let value = args
                    .next()
                    .ok_or_else(|| format!("`{arg}` needs a value"))?;
                (arg, value)
            }
        };
        values.push((flag, value));
    }
    for (flag, value) in values {
        if !FLAGS.iter().any(|(known, _)| *known == flag) {
            return Err(format!("unknown flag `{flag}`"));
        }
        let number: u64 = value
            .trim()
            .parse()
            .map_err(|_| format!("`{flag}` needs a non-negative integer, got `{value}`"))?;
        match flag.as_str() {
            "--port" => {
                config.port = u16::try_from(number)
                    .map_err(|_| format!("`--port` must be at most 65535, got {number}"))?
            }
            "--records" => config.bench_records = number,
            "--page-size" if number == 0 => return Err("`--page-size` must be at least 1".into()),
            "--page-size" => config.bench_page_size = number,
            "--parents" => config.bench_parents = number,
            "--children" => config.bench_children_per_parent = number,
            _ => config.latency = Duration::from_millis(number),
        }
    }
    Ok(Some(config))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> impl Iterator<Item = String> {
        list.iter()
            .map(|s| s.to_string())
            .collect::<Vec<_>>()
            .into_iter()
    }

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn flags_set_the_config_and_win_over_the_environment() {
        let env = |name: &str| (name == "DEMO_SERVER_RECORDS").then(|| "5".to_owned());
        let config = parse(
            args(&[
                "--records",
                "7",
                "--page-size=50",
                "--latency-ms",
                "20",
                "--port",
                "0",
                "--children",
                "3",
            ]),
            env,
        )
        .unwrap()
        .unwrap();
        assert_eq!(config.bench_records, 7);
        assert_eq!(config.bench_page_size, 50);
        assert_eq!(config.latency, Duration::from_millis(20));
        assert_eq!(config.bench_children_per_parent, 3);

        let env = |name: &str| (name == "DEMO_SERVER_PARENTS").then(|| "9".to_owned());
        let config = parse(args(&[]), env).unwrap().unwrap();
        assert_eq!(config.bench_parents, 9);
        assert!(parse(args(&["--help"]), no_env).unwrap().is_none());
    }

    #[test]
    fn bad_flags_are_explained() {
        let error = |list: &[&str]| parse(args(list), no_env).unwrap_err();
        assert_eq!(error(&["--verbose", "1"]), "unknown flag `--verbose`");
        assert_eq!(error(&["--records"]), "`--records` needs a value");
        assert_eq!(
            error(&["--records", "many"]),
            "`--records` needs a non-negative integer, got `many`"
        );
        assert_eq!(
            error(&["--port", "70000"]),
            "`--port` must be at most 65535, got 70000"
        );
        assert_eq!(
            error(&["--page-size", "0"]),
            "`--page-size` must be at least 1"
        );
        let env = |_: &str| Some("x".to_owned());
        assert_eq!(
            parse(args(&[]), env).unwrap_err(),
            "`--port` needs a non-negative integer, got `x`"
        );
    }
}
