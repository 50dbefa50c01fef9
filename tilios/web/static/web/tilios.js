/* Tilios web pages: the home map (clustered places, search, « autour de moi », town) and a place's map.
   No inline script: configuration comes from data-* attributes and the #web-strings JSON block. */
(function () {
  "use strict";

  var FRANCE = [[41.2, -5.3], [51.2, 9.7]];
  var lang = document.documentElement.lang || "fr";
  var numberFormat = new Intl.NumberFormat(lang, {minimumFractionDigits: 1, maximumFractionDigits: 1});
  var countFormat = new Intl.NumberFormat(lang);

  function readStrings() {
    var node = document.getElementById("web-strings");
    try { return node ? JSON.parse(node.textContent) : {}; } catch (e) { return {}; }
  }
  var T = readStrings();
  function t(key, values) {
    var text = T[key] || key;
    Object.keys(values || {}).forEach(function (name) {
      text = text.replace("%(" + name + ")s", values[name]);
    });
    return text;
  }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      if (name === "text") node.textContent = attrs[name];
      else if (name === "className") node.className = attrs[name];
      else node.setAttribute(name, attrs[name]);
    });
    (children || []).forEach(function (child) { if (child) node.appendChild(child); });
    return node;
  }

  function getJSON(url) {
    return fetch(url, {headers: {"Accept": "application/json"}, credentials: "same-origin"}).then(function (r) {
      if (!r.ok) throw new Error(r.status + " " + url);
      return r.json();
    });
  }

  function formatKm(km) { return numberFormat.format(km) + "\u00a0" + t("km"); }

  /* A base map: tiles when they load, département outlines always (tiles may be unreachable). */
  function baseMap(node, options) {
    var map = L.map(node, Object.assign({zoomSnap: 0.5, preferCanvas: false}, options || {}));
    map.attributionControl.setPrefix('<a href="https://leafletjs.com/">Leaflet</a>');
    // Tile events fire on the layer, not the map: keep it for those who listen (offline fallbacks).
    map.tiles = node.dataset.tileUrl ? L.tileLayer(node.dataset.tileUrl, {
      maxZoom: 19, attribution: node.dataset.tileAttribution || ""}).addTo(map) : null;
    map.createPane("outlines");
    map.getPane("outlines").classList.add("outlines-pane");
    if (node.dataset.outlinesUrl) {
      getJSON(node.dataset.outlinesUrl).then(function (data) {
        L.geoJSON(data, {pane: "outlines", interactive: false, className: "departement",
                         style: {color: "#5b6b73", weight: 1, opacity: 0.8, fill: true, fillColor: "#eef2ee", fillOpacity: 0.6}
                        }).addTo(map);
        node.dataset.outlinesLoaded = String(data.features.length);
      }).catch(function () { node.dataset.outlinesLoaded = "0"; });
    }
    if (node.dataset.townsUrl) offlineTownLabels(map, node);
    return map;
  }

  /* When no tile loads, the outlines alone do not say where one is: name the main towns (préfectures and
     large cities; the préfectures of lesser rank once zoomed in). Visual only: the list says it in words. */
  function offlineTownLabels(map, node) {
    var tilesLoaded = false, shown = false;
    function show() {
      if (shown || tilesLoaded) return;
      shown = true;
      map.createPane("labels");
      map.getPane("labels").classList.add("labels-pane");
      getJSON(node.dataset.townsUrl).then(function (towns) {
        towns.forEach(function (town) {
          L.marker([town.lat, town.lon], {pane: "labels", interactive: false, keyboard: false,
            icon: L.divIcon({className: "town-label rank" + town.rank, html: el("span", {text: town.name}), iconSize: null})
          }).addTo(map);
        });
        node.dataset.townsLoaded = String(towns.length);
      }).catch(function () { node.dataset.townsLoaded = "0"; });
      var zoomed = function () { map.getContainer().classList.toggle("show-minor-towns", map.getZoom() >= 7); };
      map.on("zoomend", zoomed);
      zoomed();
    }
    if (!map.tiles) return show();  // no tile server configured at all
    map.tiles.on("tileload", function () { tilesLoaded = true; });
    map.tiles.once("tileerror", function () { if (!tilesLoaded) show(); });
  }

  function placeUrl(template, id) { return template.replace("__id__", encodeURIComponent(id)); }

  /* ------------------------------------------------------------------ place page */
  function initPlaceMap(node) {
    var lat = parseFloat(node.dataset.lat), lon = parseFloat(node.dataset.lon);
    if (isNaN(lat) || isNaN(lon)) return;
    var map = baseMap(node, {scrollWheelZoom: false});
    map.setView([lat, lon], 13);
    // Without tiles a street-level view is blank: step back to see the département outlines.
    var tilesLoaded = false;
    if (map.tiles) {
      map.tiles.on("tileload", function () { tilesLoaded = true; });
      map.tiles.once("tileerror", function () { if (!tilesLoaded) map.setZoom(8); });
    }
    L.circleMarker([lat, lon], {radius: 9, className: "place-dot", color: "#0b5d57", weight: 3,
                                fillColor: "#18a999", fillOpacity: 0.9}).addTo(map).bindTooltip(node.dataset.name || "");
  }

  /* « À quelle distance suis-je ? » on a place page: asked only when pressed, computed in the browser (the
     position never leaves the phone), great-circle distance as the nearest-place search gives it. */
  function initMyDistance(button) {
    if (!navigator.geolocation) return;
    var out = document.getElementById("my-distance-text");
    button.hidden = false;
    button.addEventListener("click", function () {
      button.disabled = true;
      navigator.geolocation.getCurrentPosition(function (pos) {
        button.disabled = false;
        var km = haversineKm(pos.coords.latitude, pos.coords.longitude,
                             parseFloat(button.dataset.lat), parseFloat(button.dataset.lon));
        out.textContent = button.dataset.found.replace("%(km)s", numberFormat.format(km));
      }, function () {
        button.disabled = false;
        out.textContent = button.dataset.failed;
      }, {enableHighAccuracy: false, timeout: 15000, maximumAge: 300000});
    });
  }

  /* « Afficher l'adresse »: the form posts with the page's CSRF token (crawlers never see the address);
     with scripts, the answer replaces the button in place. */
  function initRevealEmail(form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      fetch(form.action, {method: "POST", body: new FormData(form), credentials: "same-origin",
                          headers: {"Accept": "application/json"}})
        .then(function (response) { if (!response.ok) throw response; return response.json(); })
        .then(function (data) {
          var link = document.createElement("a");
          link.href = "mailto:" + data.email;
          link.textContent = data.email;
          link.id = "contact-email-address";
          form.replaceWith(link);
          link.focus();
        })
        .catch(function () { form.submit(); });
    });
  }

  function haversineKm(lat1, lon1, lat2, lon2) {
    var rad = Math.PI / 180, dLat = (lat2 - lat1) * rad, dLon = (lon2 - lon1) * rad;
    var a = Math.pow(Math.sin(dLat / 2), 2) + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.pow(Math.sin(dLon / 2), 2);
    return 2 * 6371.0088 * Math.asin(Math.min(1, Math.sqrt(a)));
  }

  /* ------------------------------------------------------------------ home page */
  function initHome(mapNode) {
    var map = baseMap(mapNode, {minZoom: 2});
    // The view is in the address (#carte=zoom/lat/lon, as on openstreetmap.org): a shared link or Back
    // shows the same spot.
    var shared = /^#carte=(\d+(?:\.\d+)?)\/(-?\d+(?:\.\d+)?)\/(-?\d+(?:\.\d+)?)$/.exec(location.hash);
    if (shared) map.setView([parseFloat(shared[2]), parseFloat(shared[3])], parseFloat(shared[1]));
    else map.fitBounds(FRANCE);
    var searchForm = document.getElementById("search-form");
    var qInput = document.getElementById("q");
    var kindSelect = document.getElementById("kind");
    var openNow = document.getElementById("open_now");
    var townForm = document.getElementById("town-form");
    var townInput = document.getElementById("ville");
    var suggestions = document.getElementById("town-suggestions");
    var locateButton = document.getElementById("locate");
    var status = document.getElementById("status");
    var title = document.getElementById("results-title");
    var list = document.getElementById("results-list");
    var pager = document.querySelector("#results .pager");
    var errorBox = document.querySelector("#results .error");
    var template = mapNode.dataset.placeUrl;

    /* The map shows groups made by the server for its view (/api/places/clusters): a group of places is
       one marker with their number, a place alone in its cell is its own marker. Each move asks for the
       new view; answers to an older view arriving late are dropped. */
    var groups = L.layerGroup().addTo(map);
    map.createPane("highlight");
    map.getPane("highlight").classList.add("highlight-pane");
    var highlight = L.layerGroup().addTo(map);
    var markers = {};   // public id → marker, for the places drawn alone
    var mapParams = new URLSearchParams();  // the filters the map shows (a search's q, kind, open_now)
    var viewSeq = 0, lastLoad = null, attribution = "";
    var searchSeq = 0;  // the latest search: an older one's answers arriving late are dropped
    var DEEPEST = 18;   // from this zoom a group is a list, not a zoom target

    /* Explicit signals, for assistive technology and for the browser tests (which never wait on time):
       - the map comes to rest (view still and its groups drawn): #map[data-view] goes up by one;
       - a listing is rendered (its list, its markers and the view fitted to them): #map[data-render] goes up
         by one and document receives a "tilios:rendered" event, detail {seq, kind, query, count, shown};
         the list is aria-busy from the request until then. */
    var moving = false, restWaiters = [];
    function atRest(load) {
      Promise.resolve().then(function () {  // after whatever else this event sets off
        if (moving || load !== lastLoad) return;
        mapNode.dataset.view = String((parseInt(mapNode.dataset.view, 10) || 0) + 1);
        restWaiters.splice(0).forEach(function (resolve) { resolve(); });
      });
    }
    function moveView(move) {  // the next time the map is at rest after move()
      var rest = new Promise(function (resolve) { restWaiters.push(resolve); });
      move();
      return rest;
    }
    function busy() { list.setAttribute("aria-busy", "true"); }
    function rendered(kind, query, count, steps) {
      return Promise.all(steps).then(function () {
        var seq = (parseInt(mapNode.dataset.render, 10) || 0) + 1;
        list.removeAttribute("aria-busy");
        mapNode.dataset.render = String(seq);
        document.dispatchEvent(new CustomEvent("tilios:rendered", {detail: {
          seq: seq, kind: kind, query: query, count: count, shown: parseInt(mapNode.dataset.placesShown, 10)}}));
      });
    }

    function setStatus(text) { status.textContent = text || ""; }

    function popupContent(props) {
      var meta = [props.town].concat(props.kindLabels || []).filter(Boolean).join(" · ");
      return el("div", {className: "popup"}, [
        el("strong", {text: props.name}),
        meta ? el("span", {className: "popup-meta", text: meta}) : null,
        el("a", {href: placeUrl(template, props.id), text: t("open")})
      ]);
    }

    /* Markers take the colour of their first kind (the legend under the map says which); a group of places
       says how many it holds to assistive technology too (the visible number stays its first text). */
    var kindIndex = {};
    Array.prototype.filter.call(kindSelect ? kindSelect.options : [], function (o) { return o.value; })
      .forEach(function (o, i) { kindIndex[o.value] = i; });
    var kindIcons = {};
    function kindIcon(kinds) {
      var code = (kinds || []).filter(function (k) { return k in kindIndex; })[0];
      var cls = code === undefined ? "k-none" : "k" + kindIndex[code];
      if (!kindIcons[cls]) {
        kindIcons[cls] = L.divIcon({className: "kind-marker " + cls, iconSize: [18, 18], iconAnchor: [9, 9],
                                    popupAnchor: [0, -9], html: ""});
      }
      return kindIcons[cls];
    }
    function groupIcon(n) {
      var size = n < 10 ? "small" : n < 100 ? "medium" : "large";
      var label = n < 10000 ? countFormat.format(n) : Math.round(n / 1000) + "k";
      return L.divIcon({html: "<div><span>" + label + "</span><span class=\"visually-hidden\"> " + t("clusterLabel") +
                              "</span></div>", className: "marker-cluster marker-cluster-" + size,
                        iconSize: L.point(40, 40)});
    }

    function kindLabel(code) {
      var option = kindSelect && kindSelect.querySelector('option[value="' + CSS.escape(code) + '"]');
      return option ? option.textContent : code;
    }

    /* The view as the server wants it: the visible area and a margin (panning a little shows no hole),
       inside the Web-Mercator world, at a whole zoom level. */
    function viewParams() {
      var b = map.getBounds().pad(0.25);
      var box = [Math.max(-180, b.getWest()), Math.max(-85, b.getSouth()),
                 Math.min(180, b.getEast()), Math.min(85, b.getNorth())];
      var params = new URLSearchParams(mapParams);
      params.set("zoom", String(Math.min(DEEPEST + 1, Math.max(0, Math.floor(map.getZoom())))));
      params.set("bbox", box.map(function (v) { return v.toFixed(5); }).join(","));
      return params;
    }

    /* Loads the groups of the current view and draws them; resolves with the server's answer (with the
       filtered places' total, extent and licences when `summary`: a new search, not a pan). */
    function loadView(summary) {
      var seq = ++viewSeq;
      var params = viewParams();
      if (summary) params.set("summary", "true");
      var load = getJSON(mapNode.dataset.clustersUrl + "?" + params).then(function (data) {
        if (seq === viewSeq) drawGroups(data);
        return data;
      });
      lastLoad = load;
      load.catch(function () { if (seq === viewSeq) setStatus(t("loadError")); });
      return load;
    }

    function drawGroups(data) {
      groups.clearLayers();
      markers = {};
      data.features.forEach(function (f) {
        var c = f.geometry.coordinates, props = f.properties, marker;
        if (props.cluster) {
          marker = L.marker([c[1], c[0]], {icon: groupIcon(props.count), keyboard: true,
                                            title: t("placeCount", {count: countFormat.format(props.count)})});
          marker.on("click", function () { openGroup(marker, props); });
        } else {
          props.kindLabels = (props.kinds || []).map(kindLabel);
          marker = L.marker([c[1], c[0]], {icon: kindIcon(props.kinds), title: props.name, keyboard: true});
          marker.bindPopup(function () { return popupContent(props); });
          markers[props.id] = marker;
        }
        groups.addLayer(marker);
      });
      mapNode.dataset.groups = String(data.features.length);
      mapNode.dataset.placesInView = String(data.count);
      if (data.licences) showLicences(data.licences);
    }

    function showLicences(sources) {
      var licences = sources.map(function (s) { return s.licence; })
        .filter(function (v, i, all) { return v && all.indexOf(v) === i; });
      var text = licences.length ? t("placesData") + " " + el("a", {href: mapNode.dataset.sourcesUrl || "/sources/",
                                                                     text: licences.join(", ")}).outerHTML : "";
      if (text !== attribution) {
        if (attribution) map.attributionControl.removeAttribution(attribution);
        if (text) map.attributionControl.addAttribution(text);
        attribution = text;
      }
    }

    /* A group: zoom to its places; places at one spot (or at the deepest zoom) are listed in a popup. */
    function openGroup(marker, props) {
      var e = props.extent;
      if ((e[0] !== e[2] || e[1] !== e[3]) && map.getZoom() < DEEPEST) {
        moveView(function () { map.fitBounds([[e[1], e[0]], [e[3], e[2]]], {padding: [40, 40], maxZoom: DEEPEST}); });
        return;
      }
      var params = new URLSearchParams(mapParams);
      params.set("bbox", e.join(","));
      params.set("limit", "20");
      getJSON(mapNode.dataset.searchUrl + "?" + params).then(function (page) {
        var items = page.results.map(function (p) {
          return el("li", {}, [el("a", {href: p.url || placeUrl(template, p.id), text: p.name})]);
        });
        if (page.next) items.push(el("li", {text: "…"}));
        marker.bindPopup(el("div", {className: "popup"}, [
          el("strong", {text: t("placeCount", {count: countFormat.format(props.count)})}),
          el("ul", {className: "popup-list"}, items)])).openPopup();
      }).catch(function () { setStatus(t("loadError")); });
    }

    map.on("movestart", function () { moving = true; });
    map.on("moveend", function () {
      moving = false;
      var centre = map.getCenter();
      history.replaceState(history.state, "", location.pathname + location.search + "#carte=" + map.getZoom() + "/" +
                           centre.lat.toFixed(5) + "/" + centre.lng.toFixed(5));
      var load = loadView();
      load.then(function () { atRest(load); }, function () { atRest(load); });
    });

    /* Fits the view to these places' extent [west, south, east, north]; resolves at rest, groups drawn. */
    function fitExtent(e) {
      return moveView(function () {
        if (e[0] === e[2] && e[1] === e[3]) map.setView([e[1], e[0]], 14);
        else map.fitBounds([[e[1], e[0]], [e[3], e[2]]], {padding: [24, 24], maxZoom: 14});
      });
    }

    /* The first view: France, with the filters of a server-rendered listing (?q=…, ?kind=…) if any;
       a « near » listing keeps every place on the map and marks its own. */
    var nearListing = searchForm.querySelector('input[name="near"], input[name="commune"]');
    if (!nearListing) mapParams = filterParams();
    var firstLoad = loadView(true);
    firstLoad.then(function (data) {
      mapNode.dataset.placesLoaded = String(data.total);
      mapNode.dataset.placesShown = String(data.total);
      var steps = [];
      if (mapParams.toString() && data.extent && !shared) steps.push(fitExtent(data.extent));
      if (list.dataset.near) steps.push(highlightRendered(list.dataset.near.split(",").map(parseFloat)));
      return rendered("load", location.search.replace(/^\?/, ""), data.total, steps);
    }).catch(function () {
      setStatus(t("loadError"));
      list.removeAttribute("aria-busy");
      mapNode.dataset.placesLoaded = "error";
    });

    function resultItem(p) {
      var meta = [p.town ? p.town + (p.departement_code ? " (" + p.departement_code + ")" : "") : ""]
        .concat((p.kinds || []).map(kindLabel)).filter(Boolean).join(" · ");
      var item = el("li", {className: "result", "data-id": p.id}, [
        el("a", {className: "result-name", href: p.url || placeUrl(template, p.id), text: p.name}),
        meta ? el("span", {className: "result-meta", text: meta}) : null,
        p.distance_km !== undefined ? el("span", {className: "distance", text: formatKm(p.distance_km)}) : null
      ]);
      if (p.latitude !== null && p.latitude !== undefined) {
        var show = el("button", {type: "button", className: "show-on-map", text: t("seeOnMap"),
                                 "aria-label": t("seeOnMap") + " : " + p.name});
        show.addEventListener("click", function () { focusPlace(p); });
        item.appendChild(show);
      }
      return item;
    }

    /* « Voir sur la carte »: the map at street level on the place, its popup open (or, where its cell still
       groups it with others at one spot, a popup of its own). */
    function focusPlace(p) {
      mapNode.scrollIntoView({behavior: "smooth", block: "center"});
      moveView(function () { map.setView([p.latitude, p.longitude], DEEPEST); }).then(function () {
        if (markers[p.id]) return markers[p.id].openPopup();
        L.popup().setLatLng([p.latitude, p.longitude])
          .setContent(popupContent({id: p.id, name: p.name, town: p.town, kindLabels: (p.kinds || []).map(kindLabel)}))
          .openOn(map);
      });
    }

    /* How the API read the words (data.understood): the same line the server writes on a first load. */
    function showUnderstood(understood) {
      var node = document.getElementById("understood");
      if (!node) return;
      var parts = (understood && understood.kinds || []).map(function (code) {
        return t("kindWord", {label: kindLabel(code)});
      }).concat((understood && understood.services || []).map(function (service) {
        return t("serviceWord", {label: service.label});
      }));
      var head = parts.join(", ");
      if (understood && understood.town) head += (head ? " · " : "") + t("around", {name: understood.town.name});
      if (!head) { node.hidden = true; node.textContent = ""; return; }
      var words = understood.other_words;
      node.textContent = t("understood") + " " + head + (words ? " · " + t("words", {words: words}) : "");
      node.hidden = false;
    }

    function renderResults(data, heading, append) {
      if (errorBox) errorBox.remove();
      errorBox = null;
      if (!append) { list.textContent = ""; showUnderstood(data.understood); }
      title.textContent = heading;
      data.results.forEach(function (p) { list.appendChild(resultItem(p)); });
      if (!list.children.length) list.appendChild(el("li", {className: "empty", text: t("noResult")}));
      pager.textContent = "";
      if (data.next) {
        var more = el("button", {type: "button", className: "more", text: t("more")});
        more.addEventListener("click", function () {
          more.disabled = true;
          getJSON(data.next).then(function (next) { renderResults(next, heading, true); })
            .catch(function () { setStatus(t("loadError")); more.disabled = false; });
        });
        pager.appendChild(more);
      }
    }

    function filterParams() {
      var params = new URLSearchParams();
      if (qInput.value.trim()) params.set("q", qInput.value.trim());
      if (kindSelect.value) params.set("kind", kindSelect.value);
      if (openNow && openNow.checked) params.set("open_now", "1");
      return params;
    }

    function countText(n) { return n === 1 ? t("placeCountOne") : t("placeCount", {count: countFormat.format(n)}); }

    function runSearch() {
      var seq = ++searchSeq;
      var params = filterParams();
      busy();
      highlight.clearLayers();
      var listParams = new URLSearchParams(params);
      listParams.set("limit", "20");
      setStatus("");
      var filtered = params.toString() !== "";
      mapParams = params;
      Promise.all([getJSON(mapNode.dataset.searchUrl + "?" + listParams), loadView(true)]).then(function (res) {
        if (seq !== searchSeq) return;
        var data = res[0], shown = res[1];
        renderResults(data, filtered ? t("results") + " : " + countText(data.count) : countText(data.count));
        mapNode.dataset.placesShown = String(shown.total);
        var fitted = !filtered ? moveView(function () { map.fitBounds(FRANCE); })
          : shown.extent ? fitExtent(shown.extent) : null;
        history.replaceState(null, "", "?" + params);
        return rendered("search", params.toString(), data.count, [fitted]);
      }).catch(function () { if (seq === searchSeq) { setStatus(t("loadError")); list.removeAttribute("aria-busy"); } });
    }

    function drawNearest(lat, lon, results, heading, you) {
      highlight.clearLayers();
      var points = [[lat, lon]];
      var origin = L.circleMarker([lat, lon], {radius: 7, pane: "highlight", className: "origin-dot", color: "#fff",
                                                weight: 2, fillColor: "#c2410c", fillOpacity: 1});
      origin.bindTooltip(you ? t("you") : heading);
      highlight.addLayer(origin);
      results.forEach(function (p, i) {
        if (p.latitude === null || p.latitude === undefined) return;
        points.push([p.latitude, p.longitude]);
        var dot = L.circleMarker([p.latitude, p.longitude], {radius: 11, pane: "highlight", className: "near-dot",
                                                             color: "#0b5d57", weight: 2, fillColor: "#facc15",
                                                             fillOpacity: 0.9});
        var distance = p.distanceText || (p.distance_km !== undefined ? formatKm(p.distance_km) : "");
        dot.bindTooltip((i + 1) + ". " + p.name + (distance ? " — " + distance : ""));
        dot.bindPopup(function () { return popupContent({id: p.id, name: p.name, town: p.town,
                                                         kindLabels: (p.kinds || []).map(kindLabel)}); });
        highlight.addLayer(dot);
      });
      mapNode.dataset.highlighted = String(results.length);
      return moveView(function () { map.fitBounds(L.latLngBounds(points), {padding: [30, 30], maxZoom: 14}); });
    }

    function showNearest(lat, lon, heading, you) {
      var params = filterParams();
      params.set("near", lat.toFixed(5) + "," + lon.toFixed(5));
      params.set("limit", "10");
      var seq = ++searchSeq;
      busy();
      setStatus("");
      getJSON(mapNode.dataset.searchUrl + "?" + params).then(function (data) {
        if (seq !== searchSeq) return;
        // The address says the same as the list: Back from a place, or a shared link, shows these places
        // again (the server lists the same nearest ten).
        var address = new URLSearchParams(params);
        address.delete("limit");
        history.replaceState(null, "", "?" + address);
        renderResults(data, heading);
        // Said in the live region, and the list's heading takes the focus: the answer is below the map.
        setStatus(t("nearFound", {heading: heading, count: countText(data.results.length)}));
        title.focus();
        return rendered("near", params.toString(), data.count, [drawNearest(lat, lon, data.results, heading, you)]);
      }).catch(function () { if (seq === searchSeq) { setStatus(t("loadError")); list.removeAttribute("aria-busy"); } });
    }

    /* A server-rendered « near » listing (?near=… or ?ville=…, maybe a later page): mark its places. */
    function highlightRendered(origin) {
      var results = [];
      Array.prototype.forEach.call(list.querySelectorAll(".result[data-lat]"), function (item) {
        var link = item.querySelector(".result-name");
        var distance = item.querySelector(".distance");
        results.push({id: item.dataset.id, name: link ? link.textContent : "", latitude: parseFloat(item.dataset.lat),
                      longitude: parseFloat(item.dataset.lon), distanceText: distance ? distance.textContent : ""});
      });
      return drawNearest(origin[0], origin[1], results, title.textContent.trim(), false);
    }

    searchForm.addEventListener("submit", function (event) {
      if (searchForm.querySelector('input[name="near"], input[name="commune"]')) return; // server listing
      event.preventDefault();
      runSearch();
    });
    [kindSelect, openNow].forEach(function (control) {
      if (control) control.addEventListener("change", function () {
        if (!searchForm.querySelector('input[name="near"], input[name="commune"]')) runSearch();
      });
    });

    if (navigator.geolocation) {
      locateButton.hidden = false;
      locateButton.addEventListener("click", function () {
        setStatus(t("locating"));
        locateButton.disabled = true;
        navigator.geolocation.getCurrentPosition(function (pos) {
          locateButton.disabled = false;
          showNearest(pos.coords.latitude, pos.coords.longitude, t("nearest"), true);
        }, function () {
          locateButton.disabled = false;
          setStatus(t("geoDenied"));
        }, {enableHighAccuracy: false, timeout: 15000, maximumAge: 300000});
      });
    }

    /* Town: suggestions from /api/communes, then the nearest places to the chosen commune's centre. */
    var communes = [];
    var timer = null;
    var lastQuery = "";
    function chooseCommune(c) {
      suggestions.hidden = true;
      suggestions.textContent = "";
      townInput.value = c.name;
      showNearest(c.latitude, c.longitude, t("nearestOf", {name: c.name + " (" + c.departement + ")"}), false);
    }
    function lookupTowns(text) {
      lastQuery = text;
      return getJSON(mapNode.dataset.communesUrl + "?" + new URLSearchParams({q: text, limit: "6"})).then(function (rows) {
        if (text !== lastQuery) return communes;
        communes = rows;
        suggestions.textContent = "";
        rows.forEach(function (c) {
          var button = el("button", {type: "button", role: "option", text: c.name + " (" + c.departement + ")"});
          button.addEventListener("click", function () { chooseCommune(c); });
          suggestions.appendChild(el("li", {}, [button]));
        });
        suggestions.hidden = rows.length === 0;
        suggestions.dataset.query = text;  // explicit: these suggestions answer this text
        return rows;
      });
    }
    townInput.addEventListener("input", function () {
      clearTimeout(timer);
      var text = townInput.value.trim();
      if (text.length < 2) { suggestions.hidden = true; communes = []; return; }
      timer = setTimeout(function () { lookupTowns(text).catch(function () {}); }, 200);
    });
    townForm.addEventListener("submit", function (event) {
      event.preventDefault();
      clearTimeout(timer);
      var text = townInput.value.trim();
      if (!text) return;
      lookupTowns(text).then(function (rows) {
        if (rows.length) chooseCommune(rows[0]);
        else setStatus(t("noCommune"));
      }).catch(function () { setStatus(t("loadError")); });
    });
    townInput.addEventListener("keydown", function (event) {
      if (event.key === "Escape") suggestions.hidden = true;
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var reveal = document.getElementById("reveal-email");
    if (reveal) initRevealEmail(reveal);
    if (typeof L === "undefined") return;
    var home = document.getElementById("map");
    if (home) initHome(home);
    var placeNode = document.getElementById("place-map");
    if (placeNode) initPlaceMap(placeNode);
    var myDistance = document.getElementById("my-distance");
    if (myDistance) initMyDistance(myDistance);
  });
})();
