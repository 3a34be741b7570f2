"""Loaded at start-up by a cargohold server whose PYTHONPATH names this folder: the moment the
transaction of a manifest push tagged ``$CARGOHOLD_TEST_CRASH_AFTER_TAG`` commits, the
server's whole process group is killed, as a power cut right after that commit would. Nothing
the server would do after the commit (answer the client, or anything else) happens."""

from __future__ import annotations

import os
import signal

TAG = os.environ.get("CARGOHOLD_TEST_CRASH_AFTER_TAG")

if TAG:
    from cargohold.meta.effects import NO_EFFECTS, Effects
    from cargohold.meta.oci import manifests
    from cargohold.records.oci import NewManifest

    committing = manifests.ManifestQueries.put

    def put_then_crash(
        self: manifests.ManifestQueries,
        new: NewManifest,
        effects: Effects = NO_EFFECTS,
    ) -> None:
        committing(self, new, effects)
        if new.tag == TAG:
            os.killpg(0, signal.SIGKILL)

    manifests.ManifestQueries.put = put_then_crash  # type: ignore[method-assign]
