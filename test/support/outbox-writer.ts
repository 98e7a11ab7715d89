// Child process for the outbox fault test: records events as fast as it can and prints each event id
// only after its transaction committed, the moment a user would see it acknowledged.
import { insertRecorded } from "../../appliance/db/change-recorder.js";
import { openLocalDatabase } from "../../appliance/db/local-database.js";
import { unifiedEventLog } from "../../appliance/db/schema.js";

const local = openLocalDatabase(process.argv[2]!);
for (;;) {
  const event = local.transaction((db) =>
    insertRecorded(db, unifiedEventLog, {
      event_type: "access",
      event_category: "user_action",
      severity: "info",
    }),
  );
  process.stdout.write(`${event.event_id}\n`);
}
