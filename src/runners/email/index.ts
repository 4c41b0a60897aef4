// The email.* task family.
export { cleanupExpiredSessions } from "./cleanup-sessions.ts";
export { sendLicenseEmail } from "./license.ts";
export { sendOrderConfirmation } from "./order-confirmation.ts";
export { sendWelcomeEmail } from "./welcome.ts";
