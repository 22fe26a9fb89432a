"""``load_demo_papers``: scans for some demo dossiers and signed results (demo.papers)."""
from demo.guard import DemoCommand
from demo.papers import demo_papers_load


class Command(DemoCommand):
    help = "Tạo giấy tờ số hóa mẫu cho một số hồ sơ demo."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--dossiers", type=int, default=30)

    def handle_demo(self, *args, dossiers=30, **options):
        made = demo_papers_load(dossiers=dossiers)
        self.stdout.write(f"{made} demo documents")
