"""The built-in Vietnamese texts of the notices to citizens (D22), used until an administrator
saves a template of their own (``NoticeTemplate``). Placeholders: ``notice_text.PLACEHOLDERS``.
SMS texts stay short (one or two messages) and name only the code, the status and the link."""

EMAIL_FOOTER = (
    "\n\nTra cứu hồ sơ: {link_tra_cuu}\n"
    "Thư này được gửi tự động vì Ông/Bà đã đồng ý nhận thông báo khi nộp hồ sơ; vui lòng không trả lời thư.\n"
    "{co_quan}"
)

DEFAULTS: dict[tuple[str, str], tuple[str, str]] = {
    ("received", "email"): (
        "Hồ sơ {ma_ho_so} đã được tiếp nhận",
        "Kính gửi Ông/Bà {ho_ten},\n\nHồ sơ {ma_ho_so} ({thu_tuc}) đã được tiếp nhận ngày {ngay}. "
        "Ngày hẹn trả kết quả: {ngay_hen_tra}." + EMAIL_FOOTER,
    ),
    ("received", "sms"): ("", "Ho so {ma_ho_so} da duoc tiep nhan ngay {ngay}, hen tra {ngay_hen_tra}. Tra cuu: {link_tra_cuu}"),
    ("supplement", "email"): (
        "Hồ sơ {ma_ho_so} cần bổ sung",
        "Kính gửi Ông/Bà {ho_ten},\n\nNgày {ngay}, cơ quan giải quyết yêu cầu bổ sung, hoàn thiện hồ sơ {ma_ho_so} "
        "({thu_tuc}). Vui lòng liên hệ Bộ phận Một cửa nơi đã nộp hồ sơ để nhận Phiếu yêu cầu bổ sung." + EMAIL_FOOTER,
    ),
    ("supplement", "sms"): ("", "Ho so {ma_ho_so} can bo sung (ngay {ngay}). Vui long lien he Bo phan Mot cua. Tra cuu: {link_tra_cuu}"),
    ("apology", "email"): (
        "Hồ sơ {ma_ho_so}: hẹn lại ngày trả kết quả",
        "Kính gửi Ông/Bà {ho_ten},\n\nHồ sơ {ma_ho_so} ({thu_tuc}) chưa giải quyết kịp thời hạn. Cơ quan giải quyết "
        "xin lỗi Ông/Bà và hẹn lại ngày trả kết quả: {ngay_hen_tra}." + EMAIL_FOOTER,
    ),
    ("apology", "sms"): ("", "Xin loi Ong/Ba: ho so {ma_ho_so} hen lai ngay tra ket qua {ngay_hen_tra}. Tra cuu: {link_tra_cuu}"),
    ("result", "email"): (
        "Hồ sơ {ma_ho_so} đã có kết quả",
        "Kính gửi Ông/Bà {ho_ten},\n\nHồ sơ {ma_ho_so} ({thu_tuc}) đã có kết quả ngày {ngay}. Mời Ông/Bà nhận kết "
        "quả theo hình thức đã đăng ký." + EMAIL_FOOTER,
    ),
    ("result", "sms"): ("", "Ho so {ma_ho_so} da co ket qua (ngay {ngay}). Moi Ong/Ba nhan ket qua. Tra cuu: {link_tra_cuu}"),
    ("refused", "email"): (
        "Hồ sơ {ma_ho_so}: từ chối giải quyết",
        "Kính gửi Ông/Bà {ho_ten},\n\nNgày {ngay}, cơ quan giải quyết đã từ chối giải quyết hồ sơ {ma_ho_so} "
        "({thu_tuc}). Mời Ông/Bà nhận văn bản nêu rõ lý do tại Bộ phận Một cửa." + EMAIL_FOOTER,
    ),
    ("refused", "sms"): ("", "Ho so {ma_ho_so} bi tu choi giai quyet (ngay {ngay}). Moi nhan van ban tai Bo phan Mot cua. Tra cuu: {link_tra_cuu}"),
    ("stopped", "email"): (
        "Hồ sơ {ma_ho_so}: dừng giải quyết",
        "Kính gửi Ông/Bà {ho_ten},\n\nNgày {ngay}, cơ quan giải quyết đã dừng giải quyết hồ sơ {ma_ho_so} "
        "({thu_tuc}). Mời Ông/Bà nhận thông báo nêu rõ lý do tại Bộ phận Một cửa." + EMAIL_FOOTER,
    ),
    ("stopped", "sms"): ("", "Ho so {ma_ho_so} da dung giai quyet (ngay {ngay}). Moi nhan thong bao tai Bo phan Mot cua. Tra cuu: {link_tra_cuu}"),
    ("returned", "email"): (
        "Hồ sơ {ma_ho_so} đã trả kết quả",
        "Kính gửi Ông/Bà {ho_ten},\n\nKết quả hồ sơ {ma_ho_so} ({thu_tuc}) đã được trả ngày {ngay}. "
        "Mời Ông/Bà đánh giá mức độ hài lòng tại trang tra cứu." + EMAIL_FOOTER,
    ),
    ("returned", "sms"): ("", "Ho so {ma_ho_so} da tra ket qua ngay {ngay}. Moi Ong/Ba danh gia muc do hai long: {link_tra_cuu}"),
}
