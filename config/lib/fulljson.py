"""Django's JSON serializer, keeping every microsecond of a time. Imports no app.

Django's own encoder cuts times to the millisecond (`12:00:00.000400` becomes `12:00:00.000`),
so a backup would not give back the rows it read: history entries made within one millisecond
could change order, and a restored row would differ from the one saved. Registered as the
`fulljson` format (SERIALIZATION_MODULES); its output is plain JSON that Django's own `json`
deserializer reads, so backups made before it load as they always did.
"""

import datetime

from django.core.serializers import json as django_json
from django.core.serializers.json import DjangoJSONEncoder


class LosslessJSONEncoder(DjangoJSONEncoder):
    def default(self, o):
        if isinstance(o, datetime.datetime):
            text = o.isoformat()
            return text.removesuffix("+00:00") + "Z" if text.endswith("+00:00") else text
        if isinstance(o, datetime.time):
            return o.isoformat()
        return super().default(o)


class Serializer(django_json.Serializer):
    def _init_options(self):
        self.options.setdefault("cls", LosslessJSONEncoder)
        super()._init_options()


Deserializer = django_json.Deserializer
