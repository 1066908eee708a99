from releases.models import Footage, PublishedFile, Rendition

PACKAGE_360P = {
    "360p.mp4": Rendition.Kind.MP4,
    "hls/master.m3u8": Rendition.Kind.HLS_MASTER,
    "hls/360p.m3u8": Rendition.Kind.HLS_PLAYLIST,
    "hls/360p.m4s": Rendition.Kind.HLS_MEDIA,
    "poster.jpg": Rendition.Kind.POSTER,
    "storyboard.jpg": Rendition.Kind.STORYBOARD,
    "storyboard.vtt": Rendition.Kind.STORYBOARD_INDEX,
}


def test_published_release_page_serves_every_file_of_the_package(client, published_release):
    response = client.get(published_release.get_absolute_url())
    assert response.status_code == 200
    footage = published_release.footage.get()
    assert footage.state == Footage.State.READY
    assert dict(footage.renditions.values_list("name", "kind")) == PACKAGE_360P
    published = {f.name: f for f in PublishedFile.objects.filter(footage__version=published_release.public_version)}
    assert set(published) == set(PACKAGE_360P)
    for r in published.values():
        assert r.public_key
        media = client.get(f"/media/{r.public_key}", HTTP_RANGE="bytes=0-99")
        assert media.status_code == 206, r.name
        assert media["Content-Type"].startswith(r.mime_type)
