//! The five seed specs (`specs/*.yaml`, loaded and validated as users load them) fetched end
//! to end from the demo server, with exact record counts and what the server saw.

mod common;

use std::path::Path;

use common::records;
use connector_demo_server::{
    DemoConfig, DemoServer, Seed, DEMO_ACCOUNT_ID, DEMO_API_KEY, DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET, DEMO_REFRESH_TOKEN,
};
use connector_runtime::{Connector, Options, Secrets};

fn seed_connector(server: &DemoServer, seed: Seed, secrets: Secrets) -> Connector {
    let file = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../specs")
        .join(format!("{}.yaml", seed.name()));
    let loaded = connector_runtime::connector_spec::load(&file).unwrap_or_else(|d| panic!("{d:?}"));
    let mut options = Options::new()
        .with_base_url(server.seed_url(seed))
        .with_retry_delay_scale(0.001);
    if let Some(token_url) = server.token_url(seed) {
        options = options.with_token_url(token_url);
    }
    Connector::new(loaded.resolved, secrets, options).expect("seed connector builds")
}

#[tokio::test]
async fn device_inventory() {
    let server = DemoServer::start(DemoConfig::default()).await;
    let secrets = Secrets::new()
        .with("username", DEMO_CLIENT_ID)
        .with("password", DEMO_CLIENT_SECRET);
    let c = seed_connector(&server, Seed::DeviceInventory, secrets);
    assert_eq!(records(&c, "computers").await.len(), 250);
    let stats = server.stats();
    assert_eq!(stats.token_requests, 1);
    // `total` (pages) stops it after page 2: no request for an empty page 3.
    assert_eq!(
        stats.params("/device_inventory/api/v1/computers-inventory", "page"),
        ["0", "1", "2"]
    );
}

#[tokio::test]
async fn rmm() {
    let server = DemoServer::start(DemoConfig::default()).await;
    let c = seed_connector(
        &server,
        Seed::Rmm,
        Secrets::new().with("api_key", DEMO_API_KEY),
    );
    assert_eq!(records(&c, "resource_name").await.len(), 250);
    assert_eq!(
        server.stats().params("/rmm/v1/resource", "offset"),
        ["0", "100", "200"]
    );
}

#[tokio::test]
async fn asset_management() {
    let server = DemoServer::start(DemoConfig::default()).await;
    let c = seed_connector(
        &server,
        Seed::AssetManagement,
        Secrets::new().with("api_key", DEMO_API_KEY),
    );
    assert_eq!(records(&c, "inventories").await.len(), 60);
    assert_eq!(records(&c, "assets").await.len(), 110);
    assert_eq!(records(&c, "members").await.len(), 35);
    // No total in the body: pages of 25 until the first empty page.
    assert_eq!(
        server
            .stats()
            .params("/asset_management/members.api", "page"),
        ["0", "1", "2"]
    );
}

#[tokio::test]
async fn crm_analytics() {
    let server = DemoServer::start(DemoConfig::default()).await;
    let secrets = Secrets::new()
        .with("client_id", DEMO_CLIENT_ID)
        .with("client_secret", DEMO_CLIENT_SECRET)
        .with("refresh_token", DEMO_REFRESH_TOKEN)
        .with("account_id", DEMO_ACCOUNT_ID);
    let c = seed_connector(&server, Seed::CrmAnalytics, secrets);
    assert_eq!(records(&c, "clients").await.len(), 120);
    assert_eq!(records(&c, "contacts").await.len(), 130);
    let company = records(&c, "company").await;
    assert_eq!(company.len(), 1, "a single object is one record");
    assert_eq!(
        server.stats().token_requests,
        1,
        "one token for every resource"
    );
}

#[tokio::test]
async fn meetings() {
    let config = DemoConfig::default();
    let expected_meetings = config.total_meetings() as usize;
    let server = DemoServer::start(config).await;
    let secrets = Secrets::new()
        .with("client_id", DEMO_CLIENT_ID)
        .with("client_secret", DEMO_CLIENT_SECRET)
        .with(
            "authorization_endpoint",
            server.token_url(Seed::Meetings).unwrap(),
        );
    let c = seed_connector(&server, Seed::Meetings, secrets);
    assert_eq!(records(&c, "users").await.len(), 70);
    let meetings = records(&c, "meetings").await;
    assert_eq!(meetings.len(), expected_meetings);
    assert_eq!(server.stats().token_requests, 1);
}

#[tokio::test]
async fn seeds_survive_the_faults_their_specs_expect() {
    use connector_demo_server::Fault;
    let config = DemoConfig {
        faults: vec![
            // asset_management: 429 with Retry-After, waited at least 60 s (scaled to 60 ms).
            Fault::rate_limited("/asset_management/assets.api", "1").after(2),
            // rmm: the second page's body is cut short and fetched again.
            Fault::reset_mid_body("/rmm/v1/resource").after(1),
            // device_inventory: 500, 502, 503, then recovery.
            Fault::statuses(
                "/device_inventory/api/v1/computers-inventory",
                &[500, 502, 503],
            ),
            // meetings: a 503 in the middle of the child fan-out is retried.
            Fault::statuses("/meetings/v1/meetings/*", &[503]).after(5),
        ],
        ..DemoConfig::default()
    };
    let expected_meetings = config.total_meetings() as usize;
    let server = DemoServer::start(config).await;

    let c = seed_connector(
        &server,
        Seed::AssetManagement,
        Secrets::new().with("api_key", DEMO_API_KEY),
    );
    let started = std::time::Instant::now();
    assert_eq!(records(&c, "assets").await.len(), 110);
    assert!(
        started.elapsed() >= std::time::Duration::from_millis(58),
        "retry_after_min_wait honoured"
    );

    let c = seed_connector(
        &server,
        Seed::Rmm,
        Secrets::new().with("api_key", DEMO_API_KEY),
    );
    assert_eq!(records(&c, "resource_name").await.len(), 250);
    // Sorted: with page prefetch, offset 200 may be sent while offset 100 is retried.
    let mut offsets = server.stats().params("/rmm/v1/resource", "offset");
    offsets.sort_by_key(|o| o.parse::<u64>().unwrap_or(u64::MAX));
    assert_eq!(offsets, ["0", "100", "100", "200"]);

    let secrets = Secrets::new()
        .with("username", DEMO_CLIENT_ID)
        .with("password", DEMO_CLIENT_SECRET);
    let c = seed_connector(&server, Seed::DeviceInventory, secrets);
    assert_eq!(records(&c, "computers").await.len(), 250);

    let secrets = Secrets::new()
        .with("client_id", DEMO_CLIENT_ID)
        .with("client_secret", DEMO_CLIENT_SECRET)
        .with(
            "authorization_endpoint",
            server.token_url(Seed::Meetings).unwrap(),
        );
    let c = seed_connector(&server, Seed::Meetings, secrets);
    assert_eq!(records(&c, "meetings").await.len(), expected_meetings);
}
