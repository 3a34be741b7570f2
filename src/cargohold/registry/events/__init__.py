"""Events and webhooks: what happened to an artifact, as CloudEvents, and the webhooks that
deliver them (subscriptions, signing, allowed targets, delivery attempts).

Belongs here: making and delivering events. A use case decides what happened and commits
the event with its write (``Events.effects``)."""
