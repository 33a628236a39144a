"""The dashboard's words in Arabic (the default) and English, and names of techniques and actors."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from marsad.report.common import technique_definitions

__all__ = ["COARSE_CLASSES", "LANGUAGES", "Words", "actor_name", "coarse_of", "gazetteer_names", "words_for"]

LANGUAGES = ("ar", "en")

# The six coarse classes of the ArMPro taxonomy, in legend order: (Arabic, English).
COARSE_CLASSES: dict[str, tuple[str, str]] = {
    "Manipulative_Wording": ("صياغة متلاعبة", "Manipulative wording"),
    "Reputation": ("المساس بالسمعة", "Attack on reputation"),
    "Justification": ("تبرير", "Justification"),
    "Simplification": ("تبسيط مخل", "Simplification"),
    "Distraction": ("تشتيت", "Distraction"),
    "Call": ("دعوة إلى الفعل", "Call to action"),
}

# key -> (Arabic, English). Written for this dashboard.
_STRINGS: dict[str, tuple[str, str]] = {
    "site": ("مرصد", "marsad"),
    "tagline": ("ماذا يفعل الخبر؟", "What does the article do?"),
    "overview": ("نظرة عامة", "Overview"),
    "search": ("بحث", "Search"),
    "switch": ("English", "العربية"),
    "articles": ("مقالات", "articles"),
    "articles_title": ("المقالات", "Articles"),
    "outlets": ("المنافذ", "Outlets"),
    "outlet": ("المنفذ", "Outlet"),
    "actors": ("الفاعلون", "Actors"),
    "actor": ("الفاعل", "Actor"),
    "techniques": ("أساليب الإقناع", "Persuasion techniques"),
    "technique": ("الأسلوب", "Technique"),
    "volume": ("حجم النشر عبر الزمن", "Volume over time"),
    "top_actors": ("أبرز الفاعلين", "Top actors"),
    "most_copied": ("أكثر القصص نسخا", "Most-copied stories"),
    "most_propagandistic": ("المنافذ الأعلى في درجة الدعاية", "Most propagandistic outlets"),
    "min_articles": ("المنافذ التي نشرت على الأقل", "Outlets with at least"),
    "mean_propaganda": ("متوسط درجة الدعاية", "mean propaganda score"),
    "copies": ("نسخ", "copies"),
    "copy_count": ("عدد النسخ", "Copies"),
    "first_seen": ("أول ظهور", "First appearance"),
    "published": ("تاريخ النشر", "Published"),
    "author": ("الكاتب", "Author"),
    "source_link": ("الرابط الأصلي", "Original link"),
    "propaganda": ("درجة الدعاية", "Propaganda score"),
    "vague_sourcing": ("نسبة المصادر المبهمة", "Vague sourcing"),
    "legend": ("دليل الألوان", "Legend"),
    "entity": ("كيان مرتبط بفاعل", "Entity linked to an actor"),
    "suggestion_note": (
        "التظليل اقتراحات آلية مع درجة ثقتها، لا أحكام نهائية. مرر المؤشر أو انتقل بلوحة المفاتيح إلى المقطع لعرض الأسلوب وتعريفه.",
        "Highlights are machine suggestions with a confidence score, not verdicts. Hover or tab to a passage to see the technique and its definition.",
    ),
    "score": ("الدرجة", "score"),
    "text": ("النص", "Text"),
    "tone_per_actor": ("النبرة تجاه كل فاعل", "Tone toward each actor"),
    "tone": ("النبرة", "Tone"),
    "mentions": ("الإشارات", "Mentions"),
    "attributions": ("من قال ماذا", "Who says what"),
    "kind": ("النوع", "Kind"),
    "source": ("المصدر", "Source"),
    "cue": ("فعل الإسناد", "Cue"),
    "content": ("المضمون", "Content"),
    "vague": ("مصدر مبهم", "vague source"),
    "named": ("مصدر مسمى", "named source"),
    "no_source": ("بلا مصدر", "no source"),
    "claims": ("الادعاءات القابلة للتحقق", "Checkable claims"),
    "value": ("القيمة", "Value"),
    "unit": ("الوحدة", "Unit"),
    "checkworthiness": ("جدارة التحقق", "Check-worthiness"),
    "worth_checking": ("جمل جديرة بالتحقق", "Sentences worth checking"),
    "sentence": ("الجملة", "Sentence"),
    "story_copies": ("نسخ هذه القصة", "Copies of this story"),
    "no_copies": ("لم يُعثر على نسخ لهذا النص في المدونة.", "No copy of this text was found in the corpus."),
    "reuses": ("مقاطع مقتبسة", "Reused passages"),
    "this_article": ("هذا المقال", "this article"),
    "delay": ("التأخير", "Delay"),
    "hours": ("ساعة", "h"),
    "query": ("عبارة البحث", "Query"),
    "search_button": ("ابحث", "Search"),
    "since": ("من تاريخ", "From"),
    "until": ("إلى تاريخ", "To"),
    "any": ("الكل", "Any"),
    "results": ("نتيجة", "results"),
    "at_least": ("أكثر من", "more than"),
    "no_results": ("لا نتائج تطابق البحث.", "No article matches."),
    "next": ("التالي", "Next"),
    "previous": ("السابق", "Previous"),
    "filter": ("تصفية", "Filters"),
    "in_results": ("في النتائج", "in these results"),
    "period": ("الفترة", "Period"),
    "technique_rates": ("معدل استخدام الأساليب", "Technique rates"),
    "share_of_articles": ("نسبة المقالات", "share of articles"),
    "sourcing": ("أنماط الإسناد", "Sourcing"),
    "copy_network": ("شبكة النسخ", "Copy network"),
    "copied_from": ("ينسخ عن", "Copies from"),
    "copied_by": ("ينسخ عنه", "Copied by"),
    "mentions_over_time": ("الإشارات عبر الزمن", "Mentions over time"),
    "tone_over_time": ("النبرة عبر الزمن", "Tone over time"),
    "co_mentioned": ("يُذكرون معه", "Named alongside"),
    "not_found": ("الصفحة غير موجودة", "Not found"),
    "not_found_article": ("لا يوجد مقال بهذا المعرف في المدونة.", "No article with this id in the corpus."),
    "not_found_outlet": ("لا يوجد منفذ بهذا الاسم في المدونة.", "No outlet of this name in the corpus."),
    "not_found_actor": ("لا يوجد فاعل بهذا المعرف في المدونة.", "No actor with this id in the corpus."),
    "bad_query": ("تعذر فهم البحث", "The search could not be understood"),
    "empty_corpus": (
        "المدونة فارغة: أدخل مقالات أولا (marsad ingest).",
        "The corpus is empty: ingest articles first (marsad ingest).",
    ),
    "corpus_size": ("حجم المدونة", "Corpus size"),
    "span": ("المدى الزمني", "Time span"),
    "footer": (
        "مرصد: قراءة آلية للأخبار العربية. كل ما يظهر هنا مقترحات للباحث لا أحكام.",
        "marsad: machine reading of Arabic news. Everything shown is a suggestion for a researcher, not a verdict.",
    ),
    "paragraph_flagged": ("فقرة مصنفة دعائية", "paragraph flagged as propagandistic"),
    "untitled": ("(بلا عنوان)", "(untitled)"),
    "undated": ("بلا تاريخ", "undated"),
    "positive": ("إيجابية", "positive"),
    "negative": ("سلبية", "negative"),
    "neutral": ("محايدة", "neutral"),
    "quote": ("اقتباس مباشر", "quote"),
    "reported": ("كلام منقول", "reported speech"),
    "according_to": ("وفقا لـ", "according to"),
    "cue_neutral": ("محايد", "neutral"),
    "cue_assertive": ("تأكيدي", "assertive"),
    "cue_denial": ("نفي", "denial"),
    "cue_distancing": ("تبرؤ", "distancing"),
    "money": ("مبلغ", "money"),
    "percent": ("نسبة مئوية", "percent"),
    "quantity": ("كمية", "quantity"),
    "date": ("تاريخ", "date"),
    "year": ("سنة", "year"),
    "articles_by_outlet": ("المقالات حسب المنفذ", "Articles by outlet"),
    "latest_articles": ("أحدث المقالات", "Latest articles"),
    "made": ("نسخ أخذها من غيره", "copies it made"),
    "received": ("نسخ أخذها غيره منه", "copies others made of it"),
}


@dataclass(frozen=True, slots=True)
class Words:
    """The words of one language; call with a key (an unknown key is returned as is)."""

    lang: str

    @property
    def dir(self) -> str:
        return "rtl" if self.lang == "ar" else "ltr"

    def __call__(self, key: str) -> str:
        pair = _STRINGS.get(key)
        if pair is None:
            return key
        return pair[0] if self.lang == "ar" else pair[1]

    def coarse(self, name: str) -> str:
        pair = COARSE_CLASSES.get(name)
        if pair is None:
            return name.replace("_", " ")
        return pair[0] if self.lang == "ar" else pair[1]

    def technique(self, name: str) -> str:
        info = technique_definitions().get(name)
        if info is None:
            return name.replace("_", " ")
        return info.name_ar if self.lang == "ar" else info.name_en

    def definition(self, name: str) -> str:
        info = technique_definitions().get(name)
        if info is None:
            return ""
        return info.definition_ar if self.lang == "ar" else info.definition_en


def words_for(lang: str | None) -> Words:
    """The words of ``lang``; anything but "en" means Arabic."""
    return Words("en" if lang == "en" else "ar")


def coarse_of(technique: str) -> str:
    """The coarse class of a technique ("" when the technique is unknown)."""
    info = technique_definitions().get(technique)
    return info.coarse if info is not None and info.coarse in COARSE_CLASSES else ""


@cache
def gazetteer_names() -> dict[str, tuple[str, str, str]]:
    """Every gazetteer actor's (Arabic name, English name, kind) by id; built once."""
    from marsad.annotate.actors import Gazetteer

    return {actor.id: (actor.name_ar, actor.name_en, actor.kind) for actor in Gazetteer.load().actors()}


def actor_name(actor_id: str, lang: str, *, name_ar: str | None = None, name_en: str | None = None) -> str:
    """The actor's name in ``lang``: from the article when given, else the gazetteer, else its id."""
    known = gazetteer_names().get(actor_id)
    arabic = name_ar or (known[0] if known else None)
    english = name_en or (known[1] if known else None)
    if lang == "ar":
        return arabic or english or actor_id
    return english or arabic or actor_id
