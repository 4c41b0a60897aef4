// What every mail-sending task returns: the Message-ID, the accepted recipients, and whether an
// earlier attempt had already sent it.
import { z } from "zod";

export const sentMailSchema = z.object({
  messageId: z.string(),
  accepted: z.array(z.string()),
  alreadySent: z.boolean(),
});
