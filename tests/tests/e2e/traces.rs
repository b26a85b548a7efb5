//! What an operator's trace backend receives: every process of the split layout exports its
//! spans over OTLP to a collector (here, one inside the test), named and attributed by the
//! OpenTelemetry semantic conventions, and one trace follows an offer from the gateway to the
//! requester's inbox. Probes and health checks leave no span.

use synergies_platform::testing;
use synergies_tests::Platform;
use synergies_tests::collector::{Collector, ExportedSpan, SpanKind};

fn of_trace<'a>(spans: &'a [ExportedSpan], trace_id: &str) -> Vec<&'a ExportedSpan> {
    spans.iter().filter(|s| s.trace_id == trace_id).collect()
}

fn find<'a>(
    spans: &[&'a ExportedSpan],
    service: &str,
    kind: SpanKind,
    attribute: (&str, &str),
) -> Option<&'a ExportedSpan> {
    spans.iter().copied().find(|s| {
        s.service == service && s.kind == kind && s.attribute(attribute.0) == Some(attribute.1)
    })
}

#[tokio::test]
async fn split_exports_one_trace_per_offer_with_the_semantic_conventions() {
    let Some(servers) = testing::servers().await else {
        return;
    };
    let collector = Collector::start().await;
    let platform = Platform::split(&servers, |_| collector.env()).await;
    let client = &platform.client;
    client.create_tenant("dijon").await;
    let requester = client.create_member("dijon", "Brasserie du Lac").await;
    let offerer = client
        .create_member("dijon", "Cartonnerie de Bourgogne")
        .await;
    client
        .publish(
            &requester,
            "request",
            "packaging/pallets",
            "Cherche des palettes",
        )
        .await;
    let (offer, trace_id) = client
        .publish(&offerer, "offer", "packaging/pallets", "Palettes Europe")
        .await;
    client.wait_for_item_about(&requester, &offer).await;

    // gateway (server) → listings (server, producer) → matching (consumer, producer) →
    // notifications (consumer): all in the offer's trace.
    let spans = collector
        .wait_for(
            "the offer's trace from the gateway to notifications",
            |spans| {
                let trace = of_trace(spans, &trace_id);
                find(
                    &trace,
                    "synergies-notifications",
                    SpanKind::Consumer,
                    ("messaging.operation", "process"),
                )
                .is_some()
                    && find(
                        &trace,
                        "synergies-matching",
                        SpanKind::Producer,
                        ("messaging.operation", "publish"),
                    )
                    .is_some()
            },
        )
        .await;
    let trace = of_trace(&spans, &trace_id);

    let http = find(
        &trace,
        "synergies-gateway",
        SpanKind::Server,
        ("http.request.method", "POST"),
    )
    .expect("the gateway's server span");
    assert_eq!(http.name, "POST /api/v1/listings");
    assert_eq!(http.attribute("url.path"), Some("/api/v1/listings"));
    assert_eq!(http.attribute("http.route"), Some("/api/v1/listings"));
    assert_eq!(http.attribute("http.response.status_code"), Some("201"));

    // The gateway's call to listings is a client span, child of the request's span, and the
    // parent of listings' server span.
    let call = find(
        &trace,
        "synergies-gateway",
        SpanKind::Client,
        ("rpc.method", "CreateListing"),
    )
    .expect("the gateway's client span");
    assert_eq!(call.attribute("rpc.system"), Some("grpc"));
    assert_eq!(
        call.attribute("rpc.service"),
        Some("synergies.listings.v1.ListingsService")
    );
    assert_eq!(call.attribute("rpc.grpc.status_code"), Some("0"));
    assert_eq!(call.parent_span_id, http.span_id);

    let rpc = find(
        &trace,
        "synergies-listings",
        SpanKind::Server,
        ("rpc.method", "CreateListing"),
    )
    .expect("listings' server span");
    assert_eq!(rpc.attribute("rpc.system"), Some("grpc"));
    assert_eq!(rpc.parent_span_id, call.span_id);
    assert_eq!(
        rpc.attribute("rpc.service"),
        Some("synergies.listings.v1.ListingsService")
    );
    assert_eq!(rpc.attribute("rpc.grpc.status_code"), Some("0"));
    assert_eq!(
        rpc.name,
        "synergies.listings.v1.ListingsService/CreateListing"
    );

    let published = find(
        &trace,
        "synergies-listings",
        SpanKind::Producer,
        ("messaging.operation", "publish"),
    )
    .expect("listings' producer span");
    assert_eq!(published.attribute("messaging.system"), Some("nats"));
    let destination = published
        .attribute("messaging.destination.name")
        .expect("a destination");
    assert!(destination.contains(".listing."), "{destination}");
    assert_eq!(published.name, format!("publish {destination}"));

    let consumed = find(
        &trace,
        "synergies-matching",
        SpanKind::Consumer,
        ("messaging.destination.name", destination),
    )
    .expect("matching's consumer span of that event");
    assert_eq!(consumed.attribute("messaging.system"), Some("nats"));
    assert!(
        consumed
            .attribute("messaging.consumer.group.name")
            .is_some()
    );

    // The harness polled every process's health and the gateway's readiness to start it: none
    // of that is a span.
    let probes: Vec<_> = spans
        .iter()
        .filter(|s| {
            s.attribute("rpc.service").is_some_and(|service| {
                service.starts_with("grpc.health") || service.starts_with("grpc.reflection")
            }) || s
                .attribute("url.path")
                .is_some_and(|path| path == "/healthz" || path == "/readyz")
        })
        .map(|s| format!("{} {}", s.service, s.name))
        .collect();
    assert!(probes.is_empty(), "probes were traced: {probes:?}");
}
