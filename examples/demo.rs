//! The main job, end to end on one machine: start the in-repo demo server (it behaves like the
//! five seed APIs, on 127.0.0.1), build the five typed connectors from `specs/` with the
//! `#[connector]` macro, read a few typed records, then sync every connector into `demo.db`
//! (SQLite) and print what landed.
//!
//! ```sh
//! cargo run --release --example demo            # writes ./demo.db
//! cargo run --release --example demo -- out.db  # another file
//! ```

use std::error::Error;
use std::sync::Arc;

use connector::runtime::futures::TryStreamExt;
use connector::runtime::{Connector, Options, Secrets};
use connector_demo_server::{DemoConfig, DemoServer, Seed};
use connector_load::sync::{sync_observed, Sink, SyncEvent, SyncOptions};

#[connector::connector("specs/device_inventory.yaml")]
pub mod device_inventory {}

#[connector::connector("specs/rmm.yaml")]
pub mod rmm {}

#[connector::connector("specs/asset_management.yaml")]
pub mod asset_management {}

#[connector::connector("specs/crm_analytics.yaml")]
pub mod crm_analytics {}

#[connector::connector("specs/meetings.yaml")]
pub mod meetings {}

/// The secrets the demo server accepts for `seed`, as the runtime takes them.
fn demo_secrets(server: &DemoServer, seed: Seed) -> Secrets {
    server
        .secrets(seed)
        .into_iter()
        .fold(Secrets::new(), |secrets, (name, value)| {
            secrets.with(name, value)
        })
}

/// Points a spec at the local server instead of the API's real host.
fn demo_options(server: &DemoServer, seed: Seed) -> Options {
    let options = Options::new().with_base_url(server.seed_url(seed));
    match server.token_url(seed) {
        Some(token_url) => options.with_token_url(token_url),
        None => options,
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let db_path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "demo.db".to_owned());
    let server = DemoServer::try_start(DemoConfig::default()).await?;
    println!("demo server: {}", server.base_url());

    // Typed records: field types come from the spec's `columns`.
    let meetings_client = meetings::Client::with_options(
        meetings::Secrets::from_runtime(&demo_secrets(&server, Seed::Meetings))?,
        demo_options(&server, Seed::Meetings),
    )?;
    let users: Vec<meetings::types::User> = meetings_client.users().try_collect().await?;
    if let Some(user) = users.get(1) {
        let their_meetings: Vec<meetings::types::Meeting> =
            meetings_client.meetings_for(user).try_collect().await?;
        println!(
            "typed: {} users; user {} ({}) has {} meetings",
            users.len(),
            user.id,
            user.email.as_deref().unwrap_or("no email"),
            their_meetings.len()
        );
    }

    let connectors: Vec<Connector> = vec![
        device_inventory::Client::with_options(
            device_inventory::Secrets::from_runtime(&demo_secrets(&server, Seed::DeviceInventory))?,
            demo_options(&server, Seed::DeviceInventory),
        )?
        .into_connector(),
        rmm::Client::with_options(
            rmm::Secrets::from_runtime(&demo_secrets(&server, Seed::Rmm))?,
            demo_options(&server, Seed::Rmm),
        )?
        .into_connector(),
        asset_management::Client::with_options(
            asset_management::Secrets::from_runtime(&demo_secrets(&server, Seed::AssetManagement))?,
            demo_options(&server, Seed::AssetManagement),
        )?
        .into_connector(),
        crm_analytics::Client::with_options(
            crm_analytics::Secrets::from_runtime(&demo_secrets(&server, Seed::CrmAnalytics))?,
            demo_options(&server, Seed::CrmAnalytics),
        )?
        .into_connector(),
        meetings_client.into_connector(),
    ];

    let destination = Arc::from(connector_load::open_destination(&format!(
        "sqlite:{db_path}"
    ))?);
    let mut failed = false;
    for connector in &connectors {
        // The loader reports events; a line per resource as it starts is all the demo draws.
        let progress = |event: SyncEvent<'_>| {
            if let SyncEvent::ResourceStarted { resource } = event {
                eprintln!("syncing {resource}");
            }
        };
        let report = sync_observed(
            connector,
            Sink::Destination(Arc::clone(&destination)),
            &SyncOptions::default(),
            &progress,
        )
        .await?;
        println!("\n{} -> {}", report.connector, report.destination);
        println!("{}", report.summary_table());
        for (resource, error) in report.failures() {
            eprintln!("{resource} failed: {error}");
            failed = true;
        }
    }
    if failed {
        return Err("some resources failed; see above".into());
    }

    println!("\nLoaded into {db_path}. Try:");
    println!(
        "  sqlite3 {db_path} \"SELECT u.email, count(m.id) AS meetings FROM users u \
         LEFT JOIN meetings m ON m.host_id = u.id GROUP BY u.email ORDER BY meetings DESC LIMIT 5\""
    );
    Ok(())
}
