// The sign-in page: the remembered language and the preference controls. The form itself works without script.

import { startLanguage } from "./core/i18n.js";
import { wirePreferences } from "./core/preferences.js";

await startLanguage();
wirePreferences();
