/* Leaflet finds its default marker images through its stylesheet's URL, which hashed static names change:
   tell it where they are (the script tag carries the URLs). */
(function () {
  "use strict";
  var tag = document.currentScript;
  if (!tag || typeof L === "undefined") return;
  L.Icon.Default.imagePath = "";
  L.Icon.Default.mergeOptions({iconUrl: tag.dataset.icon, iconRetinaUrl: tag.dataset.icon2x,
                               shadowUrl: tag.dataset.shadow});
})();
