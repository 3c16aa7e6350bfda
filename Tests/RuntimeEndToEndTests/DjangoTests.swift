import Foundation
import Testing
import TestSupport

extension RuntimeEndToEnd {
    /// A Django app of our own on the bundled python buildpack: collectstatic runs after the
    /// install (whitenoise's manifest storage), the page and its hashed static file come through
    /// the router, a warm push reuses the cached install, a broken collectstatic fails the build
    /// with Django's error, and DISABLE_COLLECTSTATIC skips it. One Django install for all.
    @Suite(.timeLimit(.minutes(15))) struct DjangoTests {
        static let files: [String: String] = [
            "requirements.txt": "Django>=5.2,<6\nwhitenoise>=6,<7\ngunicorn\n",
            "Procfile": "web: gunicorn site_conf.wsgi --bind 0.0.0.0:$PORT\n",
            "manage.py": """
                #!/usr/bin/env python
                import os
                import sys

                if __name__ == "__main__":
                    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "site_conf.settings")
                    from django.core.management import execute_from_command_line
                    execute_from_command_line(sys.argv)

                """,
            "site_conf/__init__.py": "",
            "site_conf/settings.py": """
                import os
                from pathlib import Path

                BASE_DIR = Path(__file__).resolve().parent.parent
                SECRET_KEY = os.environ.get("SECRET_KEY", "only-for-this-test")
                DEBUG = False
                ALLOWED_HOSTS = ["*"]
                INSTALLED_APPS = ["django.contrib.staticfiles"]
                MIDDLEWARE = ["whitenoise.middleware.WhiteNoiseMiddleware"]
                ROOT_URLCONF = "site_conf.urls"
                WSGI_APPLICATION = "site_conf.wsgi.application"
                TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates", "DIRS": [BASE_DIR / "templates"]}]
                DATABASES = {}
                STATIC_URL = "static/"
                STATIC_ROOT = BASE_DIR / "staticfiles"
                STATICFILES_DIRS = [BASE_DIR / "assets"]
                STORAGES = {
                    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
                    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
                }

                """,
            "site_conf/urls.py": """
                from django.shortcuts import render
                from django.urls import path

                urlpatterns = [path("", lambda request: render(request, "index.html"))]

                """,
            "site_conf/wsgi.py": """
                import os
                from django.core.wsgi import get_wsgi_application

                os.environ.setdefault("DJANGO_SETTINGS_MODULE", "site_conf.settings")
                application = get_wsgi_application()

                """,
            "templates/index.html": """
                {% load static %}<!doctype html>
                <link rel="stylesheet" href="{% static 'site.css' %}">
                <h1>hello from django</h1>

                """,
            "assets/site.css": "h1 { color: rebeccapurple; }\n",
        ]

        @Test func djangoAppServesItsHashedStaticFilesThroughTheRouter() async throws {
            let fixture = try await RuntimeFixture.start()
            defer { Task { await fixture.daemon.stop() } }
            try await fixture.admin(["apps:create", "django1"])
            let repo = try await fixture.repository(Self.files)
            let cold = try await fixture.push(repo, app: "django1")
            #expect(cold.status == 0, "\(cold.stderr)")
            for line in [
                "-----> Installing dependencies using 'pip install -r requirements.txt'", "-----> $ python manage.py collectstatic --noinput",
                "copied to '/tmp/codon/build_", "post-processed.", "-----> Saving cache", "web.1 is up",
            ] {
                #expect(cold.stderr.contains(line), "missing \(line.debugDescription) in:\n\(cold.stderr)")
            }
            try await servesHashedCSS(fixture)
            // The buildpack's boot script sizes WEB_CONCURRENCY from the dyno's memory (512 MB / 256).
            try await fixture.eventually("WEB_CONCURRENCY set at boot") {
                try await fixture.log("django1").contains("Python buildpack: Defaulting WEB_CONCURRENCY to 2 based on the available memory.")
            }

            // Warm: the cached install is reused, collectstatic still runs.
            try fixture.write(["templates/index.html": Self.files["templates/index.html"]!.replacingOccurrences(of: "hello", with: "hi")], to: repo)
            try await fixture.commit(repo, "new page")
            let warm = try await fixture.push(repo, app: "django1")
            #expect(warm.status == 0, "\(warm.stderr)")
            #expect(warm.stderr.contains("-----> Restoring cache"), "\(warm.stderr)")
            #expect(warm.stderr.contains("-----> Using cached install of Python 3."), "\(warm.stderr)")
            #expect(!warm.stderr.contains("Installing dependencies using"), "\(warm.stderr)")
            #expect(warm.stderr.contains("-----> $ python manage.py collectstatic --noinput"), "\(warm.stderr)")
            try await servesHashedCSS(fixture, heading: "hi from django")

            // A stylesheet naming a file that does not exist: the manifest storage refuses it.
            try fixture.write(["assets/broken.css": "body { background: url(\"missing.png\"); }\n"], to: repo)
            try await fixture.commit(repo, "broken css")
            let broken = try await fixture.push(repo, app: "django1")
            #expect(broken.status != 0)
            for line in [
                "missing.png' could not be found", " !     Error: Unable to generate Django static files.",
                " !     The 'python manage.py collectstatic --noinput' Django", " !        $ heroku config:set DISABLE_COLLECTSTATIC=1",
                " !     Push rejected, failed to compile Python app.",
            ] {
                #expect(broken.stderr.contains(line), "missing \(line.debugDescription) in:\n\(broken.stderr)")
            }
            try await servesHashedCSS(fixture, heading: "hi from django")

            try await fixture.admin(["config:set", "django1", "DISABLE_COLLECTSTATIC=1"])
            let skipped = try await fixture.push(repo, app: "django1")
            #expect(skipped.status == 0, "\(skipped.stderr)")
            #expect(skipped.stderr.contains("-----> Skipping Django collectstatic since the env var DISABLE_COLLECTSTATIC is set."), "\(skipped.stderr)")
            #expect(!skipped.stderr.contains("collectstatic --noinput\n"), "\(skipped.stderr)")
        }

        /// `/` through the router links `site.HASH.css`, which the router serves too.
        func servesHashedCSS(_ fixture: RuntimeFixture, heading: String = "hello from django") async throws {
            let page = try #require(try await fixture.routed("django1"))
            #expect(page.status == 200, "\(page.body)")
            #expect(page.body.contains(heading), "\(page.body)")
            let link = try #require(page.body.firstMatch(of: /href="(\/static\/site\.[0-9a-f]{12}\.css)"/), "\(page.body)")
            let css = try #require(try await fixture.routed("django1", String(link.1)))
            #expect(css.status == 200)
            #expect(css.body.contains("rebeccapurple"))
        }
    }
}
