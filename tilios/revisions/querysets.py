"""The vocabulary of revisable records' querysets, one word per rule."""
from django.db import models


class PublishedQuerySet(models.QuerySet):
    def published(self):
        """What anyone may see: not a creation waiting for review, not rolled back."""
        return self.filter(is_published=True)
