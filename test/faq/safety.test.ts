import { describe, it, expect } from 'vitest';
import { foldText } from '../../src/faq/normalize.js';
import { createSafetyDetector, loadSigns } from '../../src/faq/safety.js';
import { createProjectFaqMatcher, loadFaqContent } from '../../src/faq/matcher.js';
import type { SafetyTopic } from '../../src/faq/types.js';

const detector = createSafetyDetector();
const verdict = (text: string): string => {
  const h = detector.detect(text);
  return h ? `${h.kind} ${h.topic}` : 'null';
};

/**
 * sign id → messages that must raise it as an alarm on its route (each is also
 * tried without diacritics). Written for these tests, not taken from any
 * evaluation set.
 */
const CASES: Record<string, [SafetyTopic, string[]]> = {
  'pregnancy-bleeding': ['safety.emergency', ['Vợ em có thai 3 tháng bị ra máu', 'bầu 8 tuần chảy máu', 'I am 30 weeks pregnant and bleeding']],
  'heavy-bleeding': ['safety.emergency', ['chảy máu nhiều không cầm được', 'sau sinh ra máu rất nhiều', 'bị băng huyết']],
  'waters-breaking': ['safety.emergency', ['bị vỡ ối phải làm sao', 'thấy ra nước ối', 'bầu 37 tuần rỉ ối', 'my water broke at 36 weeks']],
  'cord-prolapse': ['safety.emergency', ['đang đau đẻ thì thấy dây rốn tụt ra ngoài', 'sờ thấy dây rốn ở cửa mình']],
  'pregnancy-fluid-or-pain': ['safety.emergency', ['bầu 30 tuần đau bụng dữ dội', 'có thai 8 tháng tự nhiên ra nhiều nước']],
  'pre-eclampsia': [
    'safety.emergency',
    [
      'bầu 32 tuần đau đầu dữ dội, nhìn mờ',
      'mang thai 8 tháng bị phù mặt và hai tay',
      'có bầu 7 tháng đau vùng thượng vị',
      '34 weeks pregnant with a severe headache and blurred vision',
    ],
  ],
  'fetal-movement': ['safety.emergency', ['có thai 8 tháng thấy thai ít đạp', 'thai máy yếu hơn mọi ngày']],
  'postpartum-infection': ['safety.emergency', ['sau sinh 5 ngày em bị sốt', 'đẻ được 1 tuần sản dịch có mùi hôi', 'fever a week after giving birth']],
  'newborn-danger': [
    'safety.emergency',
    ['con em mới sinh 4 ngày người lạnh, bỏ bú', 'trẻ sơ sinh mềm nhũn không chịu bú', 'my newborn is limp and will not feed'],
  ],
  'chest-indrawing': ['safety.emergency', ['bé thở rút lõm lồng ngực', 'cháu thở co kéo']],
  'newborn-jaundice-acute': [
    'safety.emergency',
    ['bé mới sinh được 1 ngày đã vàng da', 'con em vàng da đến lòng bàn chân', 'cháu vàng da lan xuống tận lòng bàn tay', 'my baby has yellow palms and soles'],
  ],
  poisoning: ['safety.emergency', ['con tôi uống nhầm dầu hỏa', 'bé nuốt phải mấy viên thuốc của bà', 'my son swallowed kerosene']],
  convulsions: ['safety.emergency', ['con tôi sốt cao rồi co giật', 'bé lên cơn co giật']],
  'severe-abdominal-pain': ['safety.emergency', ['đau bụng dữ dội', 'em đau bụng dưới dữ dội', 'đau bụng không chịu nổi']],
  'stroke-face-limbs': [
    'safety.emergency',
    ['bà tôi méo miệng', 'ông bị yếu nửa người', 'mẹ tôi tự nhiên không cầm được cốc', 'bố em tê nửa mặt', 'her face is drooping'],
  ],
  'stroke-named': ['safety.emergency', ['hình như bố em bị đột quỵ', 'ông bị tai biến mạch máu não rồi']],
  breathing: ['safety.emergency', ['bé bị khó thở', 'mẹ tôi thở không được', 'môi tím tái', 'I cannot breathe']],
  unconscious: ['safety.emergency', ['bà tôi ngất xỉu', 'con bị hôn mê', 'he will not wake up']],
  'chest-pain': ['safety.emergency', ['bố tôi đau thắt ngực', 'chồng em đau ngực vã mồ hôi', 'chest pain and sweating']],
  'blood-pressure-crisis': ['safety.emergency', ['huyết áp 200 đau đầu buồn nôn', 'mẹ em huyết áp lên 190/110, nôn mấy lần']],
  suicidal: [
    'safety.self-harm',
    [
      'em muốn chết',
      'tôi không muốn sống nữa',
      'muốn ngủ mãi không dậy',
      'dạo này em toàn nghĩ đến cái chết',
      'nhiều lúc thấy sống chẳng còn ý nghĩa gì',
      'I want to kill myself',
    ],
  ],
  'suicidal-tu-tu': ['safety.self-harm', ['em muốn tự tử', 'tôi định tự tử']],
  'self-injury': ['safety.self-harm', ['em hay rạch tay', 'em lấy dao cứa tay', 'I cut myself', 'I keep cutting my wrists']],
  overdose: ['safety.self-harm', ['em vừa uống hết cả vỉ thuốc ngủ', 'nó uống thuốc trừ sâu rồi', 'em nuốt hết vỉ thuốc của bà rồi']],
  'harm-baby-thoughts': ['safety.self-harm', ['từ khi sinh em cứ có ý nghĩ muốn làm hại con', 'I keep thinking I will hurt my baby']],
  'sexual-abuse': [
    'safety.child-protection',
    ['em bị xâm hại', 'bé bị sờ mó', 'bạn em học lớp 7 bị hiếp dâm', 'em bị chú ép quan hệ', 'ông hàng xóm hay sờ vào người em'],
  ],
  'online-grooming': ['safety.child-protection', ['em 13 tuổi, người lạ trên mạng đòi ảnh nóng', 'có người dọa tung ảnh của con em']],
  'forced-marriage': ['safety.child-protection', ['bố mẹ ép em 15 tuổi lấy chồng', 'nhà bắt con gái 16 tuổi cưới']],
  'forced-abortion': ['safety.violence', ['người yêu bắt em phá thai', 'nhà chồng ép em bỏ thai vì là con gái']],
  'forced-abortion-implicit': ['safety.violence', ['siêu âm biết là con gái, nhà chồng bắt em bỏ', 'anh ấy ép em bỏ cái thai này']],
  'forced-abortion-en': ['safety.violence', ['my boyfriend is forcing me to have an abortion']],
  violence: ['safety.child-protection', ['bạn em bị bố dượng đánh', 'con bị bạo hành', 'em bị đánh đập hằng ngày', 'bị mẹ kế hành hạ']],
};

/** Ask-level signs: a mention alone asks; with a word of "now" it alarms. */
const ASK: Record<string, string[]> = {
  'newborn-jaundice-late': ['bé 3 tuần vẫn còn vàng da', 'con em đi phân bạc màu'],
  colic: ['em bị đau quặn bụng'],
  'stroke-speech': ['ông tôi nói không rõ'],
  'chest-pain-plain': ['bố tôi bị tức ngực'],
  'blood-pressure-high': ['huyết áp 190/100'],
};

describe('safety signs', () => {
  const { signs } = loadSigns();

  it('every sign in content/safety/signs.yaml has test messages', () => {
    expect(signs.map((s) => s.id).sort()).toEqual([...Object.keys(CASES), ...Object.keys(ASK)].sort());
  });

  for (const sign of signs) {
    if (sign.level === 'ask') continue;
    const [topic, cases] = CASES[sign.id] ?? ['safety.emergency', []];
    it(`${sign.id} → alarm ${topic}, with and without diacritics`, () => {
      expect(cases.length).toBeGreaterThan(0);
      for (const text of cases) {
        for (const variant of [text, foldText(text)]) expect(verdict(variant), variant).toBe(`alarm ${topic}`);
      }
    });
  }

  it('an ask-level sign asks when nothing says "now", and alarms when something does', () => {
    for (const [id, cases] of Object.entries(ASK)) {
      for (const text of cases) {
        expect(detector.detect(text)?.sign, text).toBe(id);
        expect(verdict(text), text).toBe('ask safety.emergency');
      }
    }
    expect(verdict('ông tôi đột nhiên nói không rõ')).toBe('alarm safety.emergency');
    expect(verdict('bố tôi tức ngực từ sáng')).toBe('alarm safety.emergency');
  });

  it('reads abbreviations and English contractions before matching', () => {
    expect(verdict('bau 30w ra nc oi')).toBe('alarm safety.emergency');
    expect(verdict('ck em bi dot quy')).toBe('alarm safety.emergency');
    expect(verdict("she suddenly can't lift her arm")).toBe('alarm safety.emergency');
    expect(verdict("I don't want to live anymore")).toBe('alarm safety.self-harm');
  });

  it('child protection wins over emergency; violence wins over emergency', () => {
    expect(verdict('con em bị bố dượng đánh chảy nhiều máu')).toBe('alarm safety.child-protection');
    expect(verdict('em bi xam hai gio chi muon chet')).toBe('alarm safety.child-protection');
    expect(verdict('chồng đánh vợ đang mang thai bị ra máu')).toBe('alarm safety.violence');
  });

  it('violence against an adult goes to safety.violence, against a child to child protection', () => {
    for (const t of [
      'vợ bị chồng say rượu đánh',
      'chồng ngày nào cũng chửi bới, giữ hết tiền',
      'nhà chồng bắt em đẻ bằng được con trai',
      'bị cưỡng hiếp thì đi khám ở đâu',
      'tôi bị người yêu đánh',
      'chị dâu tôi bị nhà chồng đày đọa',
      'bà tôi bị con cháu bỏ đói',
      'tôi bị cưỡng hiếp',
      'my husband beats me',
    ]) {
      expect(verdict(t), t).toBe('alarm safety.violence');
    }
    for (const t of ['cháu bé nhà hàng xóm bị bố dượng đánh', 'học sinh lớp 8 bị bạn bắt nạt', 'con gái tôi 14 tuổi bị xâm hại']) {
      expect(verdict(t), t).toBe('alarm safety.child-protection');
    }
  });

  it('a habit, a past or treated problem, or "what disease is it" is calm', () => {
    for (const text of [
      'tôi hay bị khó thở khi leo cầu thang',
      'con thường xuyên thở khò khè mỗi khi trời lạnh',
      'khó thở là dấu hiệu bệnh gì',
      'bị đau quặn bụng là bệnh gì',
      'vết mổ đã khâu rồi mà vẫn chảy máu nhiều',
      'bố tôi từng bị đột quỵ năm ngoái, giờ nên ăn gì',
      'mẹ em bị tức ngực mấy tháng nay, khám ở đâu',
      'có bầu hay bị chảy máu chân răng',
      'chảy máu cam khi mang thai',
      'đau bụng dữ dội mỗi khi hành kinh',
    ]) {
      expect(verdict(text), text).toBe('null');
      expect(verdict(foldText(text)), foldText(text)).toBe('null');
    }
  });

  it('prevention, screening, awareness days and campaigns are calm', () => {
    for (const text of [
      'cách phòng ngừa đột quỵ cho người cao tuổi',
      'làm sao ngừa tai biến',
      'tai biến mạch máu não có khám sàng lọc được không',
      'ngày thế giới phòng chống tự tử là ngày nào',
      'ngày quốc tế xóa bỏ bạo lực với phụ nữ',
      'phòng chống bạo lực gia đình ở phường',
      'how to prevent a stroke',
      'ông bà nên ăn uống thế nào để phòng tai biến',
      'em đang tìm hiểu về bạo lực gia đình để làm đề tài',
    ]) {
      expect(verdict(text), text).toBe('null');
    }
  });

  it('"what is it" about a sign, with no one it happens to, is calm ("vỡ ối là gì", "what is a stroke")', () => {
    for (const text of ['vỡ ối là gì', 'co giật là bệnh gì', 'sốt cao co giật ở trẻ là gì', 'băng huyết nghĩa là gì', 'what is a stroke']) {
      expect(verdict(text), text).toBe('null');
    }
    // thoughts of suicide are never calmed this way
    expect(verdict('tự tử là gì')).toBe('ask safety.self-harm');
  });

  it("a side effect or a hypothetical is calm; a past event before the sign's words counts", () => {
    for (const text of [
      'uống thuốc tránh thai có gây khó thở không',
      'nếu bị vỡ ối thì nên đến viện nào',
      'người từng bị tai biến có được khám miễn phí không',
    ]) {
      expect(verdict(text), text).toBe('null');
    }
  });

  it('a negated sign is no sign', () => {
    for (const text of ['bé ho nhưng không khó thở', 'có thai 10 tuần, chưa thấy ra máu', 'no bleeding, just cramps at 8 weeks pregnant']) {
      expect(verdict(text), text).toBe('null');
    }
  });

  it('everyday words that look like signs are not signs', () => {
    for (const text of [
      'mình đang mang thai',
      'bác sĩ dặn không cho ăn sáng trước khi xét nghiệm',
      'xét nghiệm máu khi mang thai để làm gì',
      'nhóm máu của vợ chồng có ảnh hưởng đến con không',
      'ăn từ từ thôi',
      'tap the duc tu tu thoi',
      'uống thuốc tránh thai khẩn cấp bị ra máu có sao không',
      'đánh giá kết quả sàng lọc',
      'khám tiền hôn nhân ở đâu',
      'lấy máu gót chân cho bé có đau không',
      'quên uống thuốc tránh thai, uống nhầm ngày thì sao',
      'is bleeding gums normal in pregnancy',
      'đi học về mệt muốn chết',
    ]) {
      expect(verdict(text), text).toBe('null');
    }
  });

  it('a question about a sign happening to someone asks rather than alarms ("… có sao không")', () => {
    expect(verdict('vợ em bị vỡ ối là sao')).toBe('ask safety.emergency');
    expect(verdict('ra máu khi mang thai có sao không')).toBe('ask safety.emergency');
    expect(verdict('khó thở khi mang thai có sao không')).toBe('ask safety.emergency');
    // ... unless a word says it is happening now
    expect(verdict('bầu 30 tuần, sáng nay ra máu, có sao không')).toBe('alarm safety.emergency');
  });

  it('the matcher answers safety before retrieval, with the sign topic', () => {
    const m = createProjectFaqMatcher();
    const r = m.match('Bà tôi đột nhiên méo miệng, nói ngọng');
    expect(r.kind).toBe('safety');
    expect(r.topic).toBe('safety.emergency');
    const c = m.match('ban em bi bo duong danh');
    expect(c.kind).toBe('safety');
    expect(c.topic).toBe('safety.child-protection');
  });
});

describe('safety signs and the FAQ content', () => {
  it('no phrasing of a non-safety FAQ entry raises an alarm (no false alarms on ordinary questions)', () => {
    const alarms: string[] = [];
    for (const e of loadFaqContent().entries) {
      if (e.topic.startsWith('safety.')) continue;
      for (const q of [...e.questions, ...(e.en?.questions ?? [])]) {
        const hit = detector.detect(q);
        if (hit?.kind === 'alarm') alarms.push(`${e.topic}: "${q}" → ${hit.sign} (${hit.matched})`);
      }
    }
    expect(alarms).toEqual([]);
  });
});
