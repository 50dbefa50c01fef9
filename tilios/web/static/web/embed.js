/* The embeddable map: markers for the places listed below it. The list is the content; the map, an aid. */
(function () {
  "use strict";
  var node = document.getElementById("embed-map");
  var data = document.getElementById("embed-places");
  if (!node || !data || typeof L === "undefined") return;
  var places = JSON.parse(data.textContent).filter(function (p) { return p.lat !== null && p.lon !== null; });
  var map = L.map(node, {zoomSnap: 0.5, scrollWheelZoom: false});
  map.attributionControl.setPrefix('<a href="https://leafletjs.com/" target="_blank" rel="noopener">Leaflet</a>');
  if (node.dataset.tileUrl) {
    L.tileLayer(node.dataset.tileUrl, {maxZoom: 19, attribution: node.dataset.tileAttribution || ""}).addTo(map);
  }
  var cluster = L.markerClusterGroup({showCoverageOnHover: false});
  places.forEach(function (p) {
    var link = document.createElement("a");
    link.href = p.url;
    link.target = "_blank";
    link.rel = "noopener";
    link.textContent = p.name;
    var popup = document.createElement("div");
    popup.appendChild(link);
    if (p.town) popup.appendChild(document.createTextNode(" — " + p.town));
    cluster.addLayer(L.marker([p.lat, p.lon], {title: p.name, alt: p.name}).bindPopup(popup));
  });
  map.addLayer(cluster);
  if (places.length) {
    map.fitBounds(cluster.getBounds(), {padding: [20, 20], maxZoom: 13});
  } else {
    map.setView([46.6, 2.4], 5);
  }
  node.dataset.markers = String(places.length);
})();
