"""Knowledge articles in the back office; votes are read-only."""

from django.contrib import admin

from .models import Article, ArticleVote


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    """Answers written by agents; public published ones reach the portal."""

    list_display = ("title", "status", "audience", "author", "updated_at")
    list_filter = ("status", "audience")
    list_select_related = ("author",)
    search_fields = ("title", "body")
    autocomplete_fields = ("author",)
    filter_horizontal = ("services", "problems")
    readonly_fields = ("published_at", "created_at", "updated_at")


@admin.register(ArticleVote)
class ArticleVoteAdmin(admin.ModelAdmin):
    """Whether readers found an article helpful (read-only: readers vote in the site)."""

    list_display = ("article", "user", "helpful", "updated_at")
    list_filter = ("helpful",)
    list_select_related = ("article", "user")

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
