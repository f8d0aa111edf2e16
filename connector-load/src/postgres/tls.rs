//! TLS for a PostgreSQL session, with rustls (the ring provider reqwest already builds), in
//! libpq's `sslmode`s:
//! - `prefer` and `require` encrypt without verifying the server's certificate, as libpq
//!   does in those modes (encrypted, not authenticated);
//! - `verify-ca` checks that the certificate chains to an authority of `sslrootcert`;
//! - `verify-full` also checks that it names the host connected to.

use std::path::PathBuf;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::pg_url::{PostgresUrl, SslMode, DEFAULT_SSLROOTCERT};

/// The TLS connector for `url`'s `sslmode` (not `disable`). `Err` is the reason, for a
/// connection error: the authorities' file missing, unreadable or holding no certificate.
pub(super) fn connector(url: &PostgresUrl) -> Result<MakeRustlsConnect, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("cannot set up TLS: {e}"))?;
    let verifier: Arc<dyn ServerCertVerifier> = match url.sslmode {
        SslMode::VerifyCa | SslMode::VerifyFull => {
            let roots = roots(url)?;
            let webpki =
                WebPkiServerVerifier::builder_with_provider(Arc::new(roots), Arc::clone(&provider))
                    .build()
                    .map_err(|e| format!("cannot set up TLS: {e}"))?;
            if url.sslmode == SslMode::VerifyFull {
                webpki
            } else {
                Arc::new(AnyName(webpki))
            }
        }
        _ => Arc::new(Unverified(provider)),
    };
    let config = builder
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    Ok(MakeRustlsConnect::new(config))
}

/// The certificate authorities of `sslrootcert` (or libpq's default file).
fn roots(url: &PostgresUrl) -> Result<RootCertStore, String> {
    let mode = url.sslmode.as_str();
    let (path, named) = match &url.sslrootcert {
        Some(path) => (PathBuf::from(path), true),
        None => (home_path(DEFAULT_SSLROOTCERT), false),
    };
    let shown = path.display();
    if !path.is_file() {
        return Err(if named {
            format!("sslmode={mode}: the sslrootcert file `{shown}` does not exist")
        } else {
            format!(
                "sslmode={mode} needs the certificate authorities that signed the server's \
                 certificate: `{shown}` does not exist (name a PEM file with `sslrootcert=PATH`)"
            )
        });
    }
    let mut store = RootCertStore::empty();
    let certificates = CertificateDer::pem_file_iter(&path)
        .map_err(|e| format!("sslrootcert `{shown}` cannot be read: {e}"))?;
    for certificate in certificates {
        let certificate =
            certificate.map_err(|e| format!("sslrootcert `{shown}` is not PEM: {e}"))?;
        store
            .add(certificate)
            .map_err(|e| format!("sslrootcert `{shown}` holds a bad certificate: {e}"))?;
    }
    if store.is_empty() {
        return Err(format!("sslrootcert `{shown}` holds no PEM certificate"));
    }
    Ok(store)
}

/// `~/x` under `$HOME`.
fn home_path(path: &str) -> PathBuf {
    match (path.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ => PathBuf::from(path),
    }
}

/// `verify-ca`: webpki's whole check except the host name (which it checks last, once the
/// chain is valid).
#[derive(Debug)]
struct AnyName(Arc<WebPkiServerVerifier>);

impl ServerCertVerifier for AnyName {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
        {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

/// `prefer` and `require`: any certificate, still checking the handshake's signatures.
#[derive(Debug)]
struct Unverified(Arc<CryptoProvider>);

impl ServerCertVerifier for Unverified {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
