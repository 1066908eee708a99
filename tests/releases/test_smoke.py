from releases.models import Footage, Rendition


def test_published_release_page_plays_both_renditions(client, published_release):
    response = client.get(published_release.get_absolute_url())
    assert response.status_code == 200
    footage = published_release.footage.get()
    assert footage.state == Footage.State.READY
    kinds = set(footage.renditions.values_list("kind", flat=True))
    assert kinds == {Rendition.Kind.MP4, Rendition.Kind.POSTER}
    for r in footage.renditions.all():
        assert r.public_key
        media = client.get(f"/media/{r.public_key}", HTTP_RANGE="bytes=0-99")
        assert media.status_code == 206
