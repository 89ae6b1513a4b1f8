// Starts the GOV.UK Frontend components (the pages work without it: no JavaScript needed).
import { initAll } from "./govuk/govuk-frontend.min.js";

initAll();
