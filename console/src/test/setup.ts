import '../i18n';
import '../i18n/zh';
