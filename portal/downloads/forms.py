"""Downloads forms (Flask-WTF: every form carries a CSRF token)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import select
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from portal.downloads.services import FileDetails, products
from portal.editor.forms import SLUG_MESSAGE, SLUG_PATTERN
from portal.extensions import db
from portal.forms import WholeNumberField, markdown_within_limits, optional_int, options
from portal.models import Article

VISIBILITY_CHOICES = options(
    [
        ("public", _l("Everyone")),
        ("customers", _l("Logged-in customers only")),
    ]
)


class FileDetailsForm(FlaskForm):
    """What is shown about a file; the upload form adds the file itself."""

    product_id = SelectField(
        _l("Product"),
        coerce=optional_int,
        validators=[DataRequired(_l("Please choose a product."))],
    )
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    version = StringField(_l("Version"), validators=[DataRequired(), Length(max=50)])
    visibility = SelectField(_l("Who may download"), choices=VISIBILITY_CHOICES)
    article_id = SelectField(_l("Attach to article (optional)"), coerce=optional_int)
    release_notes_md = TextAreaField(
        _l("Release notes (Markdown)"),
        validators=[Optional(), Length(max=50_000), markdown_within_limits],
    )

    def fill_choices(self) -> None:
        """Products and articles to pick from (called before validating or rendering)."""
        self.product_id.choices = options([(None, "—")] + [(p.id, p.name) for p in products()])
        articles = db.session.execute(select(Article.id, Article.title).order_by(Article.title))
        self.article_id.choices = options([(None, "—")] + [(row.id, row.title) for row in articles])

    def details(self) -> FileDetails:
        return FileDetails(
            product_id=self.product_id.data,
            title=self.title.data or "",
            version=self.version.data or "",
            release_notes_md=self.release_notes_md.data or "",
            visibility=self.visibility.data,
            article_id=self.article_id.data,
        )


class UploadForm(FileDetailsForm):
    file = FileField(_l("File"), validators=[FileRequired(_l("Please choose a file."))])


class ProductForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    name_en = StringField(_l("English name"), validators=[Optional(), Length(max=120)])
    slug = StringField(
        _l("Slug"),
        validators=[DataRequired(), Length(max=80), Regexp(SLUG_PATTERN, message=SLUG_MESSAGE)],
    )
    position = WholeNumberField(_l("Position"), default=0, validators=[Optional()])
