// /performance: the public agency performance page ("indicator of civil servants' work").
import { localize, wireLanguageToggle } from "./common.js";
import { renderPerformance } from "./dashboard.js";

const main = document.getElementById("main");

function draw() {
  localize();
  renderPerformance(main, { headingLevel: "h1" });
}

wireLanguageToggle(draw);
draw();
