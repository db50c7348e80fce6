// Draw the points of a GeoJSON on a Leaflet map: <div class="od-map" data-geojson="URL"
// data-tiles="URL template or empty">. No basemap unless tiles are configured (offline).
(function () {
  "use strict";
  var COLOURS = { shelter: "#1a5fb4", aed: "#c01c28" };
  function popup(properties) {
    var name = properties["名称"] || "";
    var place = properties["所在地_連結表記"] || properties["住所"] || "";
    var box = document.createElement("div");
    var strong = document.createElement("strong");
    strong.textContent = name;
    box.appendChild(strong);
    if (place) {
      box.appendChild(document.createElement("br"));
      box.appendChild(document.createTextNode(place));
    }
    return box;
  }
  function draw(element) {
    var map = L.map(element, { preferCanvas: true }).setView([35.69, 139.75], 11);
    var tiles = element.getAttribute("data-tiles");
    if (tiles) {
      L.tileLayer(tiles, { maxZoom: 18, attribution: element.getAttribute("data-attribution") || "" }).addTo(map);
    }
    fetch(element.getAttribute("data-geojson"))
      .then(function (response) { return response.json(); })
      .then(function (data) {
        var layer = L.geoJSON(data, {
          pointToLayer: function (feature, latlng) {
            var colour = COLOURS[feature.properties.kind] || "#1a5fb4";
            return L.circleMarker(latlng, { radius: 5, color: colour, weight: 1, fillOpacity: 0.7 });
          },
          onEachFeature: function (feature, marker) { marker.bindPopup(popup(feature.properties)); }
        }).addTo(map);
        var bounds = layer.getBounds();
        if (bounds.isValid()) { map.fitBounds(bounds, { padding: [10, 10] }); }
        element.setAttribute("data-points", String(data.features.length));
      });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".od-map").forEach(draw);
  });
})();
