// The search results on a map (Leaflet, served from /static). Progressive enhancement only:
// the page lists every result anyway, and the map shows nothing the list does not. When the
// tiles cannot be reached the markers still stand on a blank map, next to the list.
"use strict";

(() => {
  const container = document.getElementById("results-map");
  const list = document.getElementById("results");
  if (!container || !list || !window.L) {
    return;
  }
  const places = [];
  for (const item of list.querySelectorAll("li[data-lat][data-lon]")) {
    const latitude = Number(item.getAttribute("data-lat"));
    const longitude = Number(item.getAttribute("data-lon"));
    const link = item.querySelector("h3 a");
    if (Number.isFinite(latitude) && Number.isFinite(longitude) && link) {
      places.push({ latitude, longitude, title: link.textContent.trim(), href: link.getAttribute("href") });
    }
  }
  if (places.length === 0) {
    return;
  }
  // Leaflet's stylesheet is asked for here rather than in the page's head, so that it does
  // not hold back the first paint of a page that is readable without it.
  const stylesheet = document.createElement("link");
  stylesheet.rel = "stylesheet";
  stylesheet.href = "/static/leaflet.css";
  stylesheet.addEventListener("load", () => draw(container, places));
  document.head.appendChild(stylesheet);
})();

function draw(container, places) {
  container.hidden = false;
  const map = L.map(container, { zoomControl: false, scrollWheelZoom: false });
  // The zoom buttons speak the page's language.
  L.control
    .zoom({
      zoomInTitle: container.getAttribute("data-zoom-in"),
      zoomOutTitle: container.getAttribute("data-zoom-out"),
    })
    .addTo(map);
  map.attributionControl.setPrefix(false);
  L.tileLayer(container.getAttribute("data-tiles"), {
    maxZoom: 18,
    attribution: container.getAttribute("data-attribution") || "",
  }).addTo(map);
  const markers = places.map((place) => {
    // A marker is a link-like button named after its listing; it opens the listing.
    const marker = L.marker([place.latitude, place.longitude], {
      title: place.title,
      alt: place.title,
      icon: L.divIcon({ className: "map-marker", iconSize: [18, 18] }),
    });
    marker.on("click", () => {
      window.location.assign(place.href);
    });
    return marker.addTo(map);
  });
  const bounds = L.featureGroup(markers).getBounds();
  map.fitBounds(bounds, { padding: [24, 24], maxZoom: 14 });
}
