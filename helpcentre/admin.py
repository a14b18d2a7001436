from django.contrib import admin

from helpcentre.models import Article, Category


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["title", "language", "position"]
    list_filter = ["language"]
    search_fields = ["title"]


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    """The help centre's part of a knowledge-base answer: its category and longer text."""

    list_display = ["answer", "category", "updated_at"]
    list_filter = ["category__language", "category"]
    list_select_related = ["answer__intent", "category"]
    search_fields = ["answer__title", "answer__intent__slug"]
    raw_id_fields = ["answer"]
    autocomplete_fields = ["category"]
