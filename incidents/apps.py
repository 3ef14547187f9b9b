from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "incidents"

    def ready(self):
        from incidents.event_kinds import declare
        from incidents.events_api import EXTERNAL

        declare(EXTERNAL)  # the events API's app events: incidents is their source
