/* Tilios — census pages: copy buttons beside each reproduce line, and the choropleth of départements.
   No inline script: counts come from the #census-counts JSON block, settings from data-* attributes.
   Everything here is an enhancement: the page is complete without it (table and SVG charts). */
(function () {
  "use strict";

  var PALETTE = ["#f1f5f4", "#c7e9e3", "#7fcdbb", "#2c9c8a", "#0b5d57", "#06302d"];
  var FRANCE = [[41.3, -5.2], [51.1, 9.6]];

  function addCopyButtons() {
    if (!navigator.clipboard) return;
    Array.prototype.forEach.call(document.querySelectorAll("[data-copy], [data-copy-href]"), function (node) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "copy";
      button.textContent = "Copier";
      button.addEventListener("click", function () {
        var text = node.hasAttribute("data-copy-href") ? new URL(node.getAttribute("href"), location.href).href
                                                       : node.textContent;
        navigator.clipboard.writeText(text).then(function () {
          button.textContent = "Copié";
          setTimeout(function () { button.textContent = "Copier"; }, 1500);
        }, function () {});
      });
      node.parentNode.insertBefore(button, node.nextSibling);
    });
  }

  /* Class breaks: quantiles of the non-zero counts (at most five classes above zero). */
  function breaks(values) {
    var sorted = values.filter(function (v) { return v > 0; }).sort(function (a, b) { return a - b; });
    var result = [];
    for (var i = 1; i <= 5 && sorted.length; i++) {
      var v = sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * i / 5) - 1)];
      if (result.indexOf(v) === -1) result.push(v);
    }
    return result;
  }

  function classOf(value, limits) {
    if (!value) return 0;
    for (var i = 0; i < limits.length; i++) if (value <= limits[i]) return i + 1;
    return limits.length;
  }

  function initChoropleth(node) {
    if (typeof L === "undefined") return;
    var countsNode = document.getElementById("census-counts");
    var counts = {};
    try { counts = countsNode ? JSON.parse(countsNode.textContent) : {}; } catch (e) { counts = {}; }
    var limits = breaks(Object.keys(counts).map(function (k) { return counts[k]; }));
    var unit = node.dataset.unit || "", none = node.dataset.none || "0";
    var map = L.map(node, {zoomSnap: 0.25, scrollWheelZoom: false, attributionControl: true});
    map.fitBounds(FRANCE);
    map.attributionControl.setPrefix('<a href="https://leafletjs.com/">Leaflet</a>');
    fetch(node.dataset.outlinesUrl, {credentials: "same-origin"}).then(function (r) {
      if (!r.ok) throw new Error(r.status);
      return r.json();
    }).then(function (data) {
      var layer = L.geoJSON(data, {
        className: "census-departement",
        style: function (feature) {
          var c = classOf(counts[feature.properties.code] || 0, limits);
          return {color: "#5b6b73", weight: 0.8, opacity: 0.9, fillColor: PALETTE[c], fillOpacity: 0.9};
        },
        onEachFeature: function (feature, lyr) {
          var n = counts[feature.properties.code] || 0;
          lyr.bindTooltip(feature.properties.nom + " (" + feature.properties.code + ") : " +
                          (n ? n + " " + unit : none), {sticky: true});
        }
      }).addTo(map);
      map.attributionControl.addAttribution("Contours : IGN Admin Express COG 2018 (Licence Ouverte)");
      var legend = L.control({position: "topright"});
      legend.onAdd = function () {
        var div = L.DomUtil.create("div", "choropleth-legend");
        var lines = ["<i class=\"c0\"></i>0"];
        var low = 1;
        limits.forEach(function (limit, i) {
          lines.push("<i class=\"c" + (i + 1) + "\"></i>" + (low === limit ? limit : low + "–" + limit));
          low = limit + 1;
        });
        div.innerHTML = lines.join("<br>");
        return div;
      };
      legend.addTo(map);
      node.dataset.drawn = String(layer.getLayers().length);
    }).catch(function () { node.dataset.drawn = "0"; });
  }

  document.addEventListener("DOMContentLoaded", function () {
    addCopyButtons();
    var node = document.getElementById("census-map");
    if (node) initChoropleth(node);
  });
})();
